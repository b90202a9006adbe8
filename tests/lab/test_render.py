"""Inventory, Molecule instance config, MACs, network plan, kernel cmdline and UML argv rendering."""
from pathlib import Path

import yaml

from lvslab import render, topology

TOPO_DIR = Path(__file__).resolve().parents[2] / "lab" / "topologies"
KEY = Path("/cache/img/id_ed25519")
RUN = Path("/tmp/lvs-lab/x")


def default():
    return topology.load(TOPO_DIR / "default.yml")


def ports_for(t, base=30000):
    return {h: base + i for i, h in enumerate(t.hosts)}


def test_inventory_connection_vars_and_groups():
    t = default()
    inv = render.inventory(t, instance="x", ports=ports_for(t), key=KEY, run_dir=RUN)
    # must survive a YAML round trip (that is how it is written)
    inv = yaml.safe_load(yaml.safe_dump(inv, sort_keys=False))
    hosts = inv["all"]["hosts"]
    assert list(hosts) == list(t.hosts)
    d = hosts["director"]
    assert d["ansible_host"] == "127.0.0.1"
    assert d["ansible_port"] == 30001
    assert d["ansible_user"] == "root"
    assert d["ansible_ssh_private_key_file"] == str(KEY)
    assert d["ansible_python_interpreter"] == "/usr/bin/python3"
    assert "UserKnownHostsFile=/tmp/lvs-lab/x/known_hosts" in d["ansible_ssh_common_args"]
    assert [n["address"] for n in d["lab_nics"]] == ["10.0.0.1", None]
    children = inv["all"]["children"]
    assert set(children["nat_realservers"]["hosts"]) == {"nat1", "nat2"}
    assert set(children["directors"]["hosts"]) == {"director"}
    assert inv["all"]["vars"]["lab_segments"]["back"]["reserved"] == {"dip": "192.168.10.1"}


def test_instance_config_for_molecule():
    t = default()
    cfg = render.instance_config(t, ports=ports_for(t), key=KEY)
    assert [c["instance"] for c in cfg] == list(t.hosts)
    assert cfg[0] == {"instance": "client", "address": "127.0.0.1", "port": 30000, "user": "root",
                      "identity_file": str(KEY), "become_method": False}


def test_macs_unique_within_and_across_instances():
    t = default()
    macs = [render.mac(i, h.index, n) for i in ("a", "b") for h in t.hosts.values()
            for n in range(len(h.nics) + 1)]
    assert len(macs) == len(set(macs))
    for m in macs:
        first = int(m.split(":")[0], 16)
        assert first & 0x02 and not first & 0x01  # locally administered unicast


def test_kernel_cmdline_carries_only_lab_data():
    t = default()
    words = render.kernel_cmdline(t.hosts["router"])
    assert "net.ifnames=0" in words and "systemd.hostname=router" in words
    assert "lab.eth1=10.0.0.254/24" in words and "lab.eth2=10.0.1.254/24" in words
    assert any(w.startswith("lab.sysctl=") and "net.ipv4.ip_forward=1" in w for w in words)
    assert "lab.eth1.routes=10.0.0.0/8" not in words
    assert "lab.eth1.routes=default@10.0.1.254" in render.kernel_cmdline(t.hosts["tun1"])
    assert "lab.eth2=none" in render.kernel_cmdline(t.hosts["director"])
    assert "lab.eth1.routes=10.0.1.0/24@10.0.0.254" in render.kernel_cmdline(t.hosts["director"])
    nat = render.kernel_cmdline(t.hosts["nat1"])
    assert not any(".routes=" in w for w in nat)  # NAT real servers: no gateway from the lab


def ipv6():
    return topology.load(TOPO_DIR / "ipv6.yml")


def test_kernel_cmdline_dual_stack_and_ipv6_routes():
    t = ipv6()
    director = render.kernel_cmdline(t.hosts["director"])
    assert "lab.eth1=10.0.0.1/24,fd00:10::1/64" in director  # IPv4 first, comma-separated
    assert "lab.eth2=none" in director
    assert "lab.eth1.routes=fd00:10:1::/64@fd00:10::100,10.0.1.0/24@10.0.0.100" in director
    tun1 = render.kernel_cmdline(t.hosts["tun1"])
    assert "lab.eth1.routes=default@10.0.1.254,default6@fd00:10:1::254" in tun1
    client = render.kernel_cmdline(t.hosts["client"])
    assert "lab.eth2=10.0.1.254/24,fd00:10:1::254/64" in client
    assert any(w.startswith("lab.sysctl=") and "net.ipv6.conf.all.forwarding=1" in w for w in client)
    assert all(" " not in w for w in director + tun1 + client)  # one word each


def test_kernel_cmdline_ipv6_only():
    t = topology.parse("""
segments:
  front: fd00:10::/64
hosts:
  a:
    nics: {eth1: {segment: front, address: "fd00:10::1"}}
    routes: [{to: default6, via: "fd00:10::fe"}, {to: "fd00:99::/64", via: "fd00:10::fd"}]
""")
    words = render.kernel_cmdline(t.hosts["a"])
    assert "lab.eth1=fd00:10::1/64" in words
    assert "lab.eth1.routes=default6@fd00:10::fe,fd00:99::/64@fd00:10::fd" in words


def test_host_vars_ipv6_facts():
    t = ipv6()
    hv = {h: render.host_vars(t, t.hosts[h], port=30000, key=KEY, run_dir=RUN, instance="x")
          for h in ("director", "nat1")}
    d = hv["director"]
    assert d["lab_address"] == "10.0.0.1" and d["lab_address6"] == "fd00:10::1"
    assert [(n["address"], n["prefix"], n["address6"], n["prefix6"]) for n in d["lab_nics"]] == [
        ("10.0.0.1", 24, "fd00:10::1", 64),
        (None, 24, None, 64),  # no address: the segment's prefixes (the DIP is the role's)
    ]
    assert d["lab_nics"][0]["mac"] == render.mac("x", t.hosts["director"].index, 1)
    assert hv["nat1"]["lab_address6"] == "fd00:192:168:10::31"
    # IPv4-only topologies: the IPv6 facts are there, None
    dflt = default()
    v4 = render.host_vars(dflt, dflt.hosts["director"], port=30000, key=KEY, run_dir=RUN, instance="x")
    assert v4["lab_address6"] is None
    assert [(n["address6"], n["prefix6"]) for n in v4["lab_nics"]] == [(None, None), (None, None)]


def test_host_vars_ipv6_only_segment():
    t = topology.parse("""
segments:
  front: fd00:10::/64
  back: fd00:20::/64
hosts:
  a: {nics: {eth1: {segment: front, address: "fd00:10::1"}, eth2: back}}
""")
    hv = render.host_vars(t, t.hosts["a"], port=30000, key=KEY, run_dir=RUN, instance="x")
    assert hv["lab_address"] is None and hv["lab_address6"] == "fd00:10::1"
    assert [(n["address"], n["prefix"], n["address6"], n["prefix6"]) for n in hv["lab_nics"]] == [
        (None, None, "fd00:10::1", 64), (None, None, None, 64)]


def test_uml_argv():
    t = default()
    h = t.hosts["director"]
    argv = render.uml_argv(instance="x", host=h, topo=t, image=Path("/img"), cow=RUN / "hosts/director.cow",
                           uml_dir=RUN / "uml", kernel="/cache/kernel/linux.uml")
    assert argv[0] == "/cache/kernel/linux.uml"
    assert f"ubd0={RUN}/hosts/director.cow,/img/base.img" in argv
    assert f"uml_dir={RUN}/uml" in argv and "umid=director" in argv and "mem=512M" in argv
    # the console is the process's stdout (the launcher's console log); nothing reads stdin
    assert "con0=null,fd:1" in argv and "con=null" in argv and "ssl=null" in argv
    vecs = [w for w in argv if w.startswith("vec")]
    assert vecs == [f"vec{i}:transport=tap,gro=1,ifname=h1e{i},mac={render.mac('x', 1, i)}" for i in range(3)]
    assert "root=/dev/ubda" in argv and "lab.eth0=10.0.2.11/24" in argv
    assert "lab.eth1=10.0.0.1/24" in argv


def test_management_addresses_unique_and_outside_data_segments():
    t = default()
    addrs = [render.mgmt_address(h) for h in t.hosts.values()]
    assert len(set(addrs)) == len(addrs) and render.MGMT_GATEWAY not in addrs
    assert all(a.startswith("10.0.2.") for a in addrs)


def test_net_plan_one_bridge_per_segment_one_tap_per_nic():
    t = default()
    plan = render.net_plan(t)
    bridges = [ln.split()[2] for ln in plan if ln.startswith("link add")]
    assert bridges == ["mgmt", "s0-front", "s1-tunnet", "s2-back"]
    assert all("stp_state 0 forward_delay 0 mcast_snooping 0" in ln for ln in plan if ln.startswith("link add"))
    taps = [ln.split()[3] for ln in plan if ln.startswith("tuntap add")]
    assert len(taps) == sum(len(h.nics) + 1 for h in t.hosts.values()) == len(set(taps))
    assert all(len(x) <= 15 for x in bridges + taps)  # kernel interface name limit
    assert "link set h1e2 master s2-back" in plan  # director eth2 on back
    assert "link set h1e0 master mgmt" in plan
    assert [ln for ln in plan if ln.startswith("addr add")] == ["addr add 10.0.2.2/24 dev mgmt"]


def test_bridge_names_unique_when_truncated():
    t = topology.parse("""
segments:
  averyveryverylongsegment1: 10.0.0.0/24
  averyveryverylongsegment2: 10.0.1.0/24
hosts:
  a: {nics: {eth1: averyveryverylongsegment1, eth2: averyveryverylongsegment2}}
""")
    names = {render.bridge(t, s) for s in t.segments}
    assert len(names) == 2 and all(len(n) <= 15 for n in names)


def test_nic_without_address_keeps_ipv6_link_local_on_an_ipv6_segment():
    v6 = topology.load(TOPO_DIR / "ipv6.yml")
    assert "lab.eth2=ipv6ll" in render.kernel_cmdline(v6.hosts["director"], v6)
    t = default()
    assert "lab.eth2=none" in render.kernel_cmdline(t.hosts["director"], t)
