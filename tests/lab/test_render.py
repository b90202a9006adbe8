"""Inventory, Molecule instance config, MACs, kernel cmdline and qemu argv rendering."""
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


def test_qemu_argv():
    t = default()
    h = t.hosts["director"]
    argv = render.qemu_argv(instance="x", host=h, image=Path("/img"), overlay=RUN / "hosts/director.qcow2",
                            console=Path("/logs/director.console"), pidfile=RUN / "hosts/director.pid",
                            port=30001, vde_dir=RUN / "vde")
    s = " ".join(argv)
    assert "-enable-kvm" not in argv
    assert "tcg,tb-size=128" in argv
    assert "hostfwd=tcp:127.0.0.1:30001-:22" in s and "restrict=on" in s
    assert s.count("-netdev vde") == 2
    assert f"sock={RUN}/vde/front" in s and f"sock={RUN}/vde/back" in s
    assert "file:/logs/director.console" in s
    assert f"file={RUN}/hosts/director.qcow2" in s
