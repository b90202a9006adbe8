"""lab-net (the guest's boot-time script) run on this host with a fake kernel command line.

The words come from render.kernel_cmdline(), so these tests also prove that what the launcher
writes is what the guest understands. Nothing is booted; the script writes into tmp_path.
"""
import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from lvslab import render, topology

LAB = Path(__file__).resolve().parents[2] / "lab"
LAB_NET = LAB / "image" / "overlay" / "usr" / "local" / "sbin" / "lab-net"
TOPO_DIR = LAB / "topologies"
# the guest runs it with Debian's /bin/sh (dash); busybox sh is the strictest POSIX shell around
SHELLS = [s for s in (["dash"], ["busybox", "sh"]) if shutil.which(s[0])]


@pytest.fixture(params=SHELLS, ids=[s[0] for s in SHELLS])
def run(request, tmp_path):
    def run(words):
        cmdline = tmp_path / "cmdline"
        cmdline.write_text(" ".join(["root=/dev/ubda", "quiet", *words]) + "\n")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CMDLINE": str(cmdline),
               "NETDIR": str(tmp_path / "network"), "SYSCTLDIR": str(tmp_path / "sysctl.d")}
        proc = subprocess.run([*request.param, str(LAB_NET)], env=env, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        files = {p.name: p.read_text() for p in sorted((tmp_path / "network").iterdir())}
        return files, (tmp_path / "sysctl.d" / "90-lab.conf").read_text(), proc.stderr
    return run


def sections(text):
    """A .network file as [(section, [(key, value), ...]), ...] in file order (keys repeat)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("["):
            out.append((line.strip("[]"), []))
        else:
            key, _, value = line.partition("=")
            out[-1][1].append((key, value))
    return out


def values(text, section, key):
    return [v for s, kv in sections(text) if s == section for k, v in kv if k == key]


def test_file_is_valid_ini_for_networkd(run):
    files, _, _ = run(["lab.eth1=10.0.0.1/24,fd00:10::1/64", "lab.eth1.routes=default6@fd00:10::fe"])
    parser = configparser.ConfigParser(strict=False)
    parser.read_string(files["20-lab-eth1.network"])  # well-formed sections and keys


def test_ipv4(run):
    t = topology.load(TOPO_DIR / "default.yml")
    files, sysctl, err = run(render.kernel_cmdline(t.hosts["tun1"]) + render.kernel_cmdline(t.hosts["router"])[-1:])
    assert not err
    net = files["20-lab-eth1.network"]
    assert values(net, "Match", "Name") == ["eth1"]
    assert values(net, "Network", "Address") == ["10.0.1.21/24"]
    assert values(net, "Network", "LinkLocalAddressing") == ["no"]  # no IPv6 on the NIC: unchanged
    assert values(net, "Network", "IPv6AcceptRA") == ["no"]
    assert "Address" not in [s for s, _ in sections(net)]
    assert [kv for s, kv in sections(net) if s == "Route"] == [[("Gateway", "10.0.1.254")]]  # default: no Destination
    assert "net.ipv4.ip_forward=1" in sysctl.splitlines()


def test_ipv4_route_with_destination_and_none(run):
    t = topology.load(TOPO_DIR / "default.yml")
    files, sysctl, _ = run(render.kernel_cmdline(t.hosts["director"]))
    eth1, eth2 = files["20-lab-eth1.network"], files["20-lab-eth2.network"]
    assert [kv for s, kv in sections(eth1) if s == "Route"] == [[("Gateway", "10.0.0.254"), ("Destination", "10.0.1.0/24")]]
    assert values(eth2, "Network", "Address") == [] and "Route" not in eth2  # none: link up, no address
    assert values(eth2, "Network", "LinkLocalAddressing") == ["no"]
    assert sysctl == ""


def test_ipv6_only(run):
    files, _, err = run(["lab.eth1=fd00:10::1/64", "lab.eth1.routes=default6@fd00:10::fe,fd00:99::/64@fd00:10::fd"])
    assert not err
    net = files["20-lab-eth1.network"]
    assert values(net, "Network", "Address") == []
    assert values(net, "Network", "LinkLocalAddressing") == ["ipv6"]
    assert values(net, "Network", "IPv6AcceptRA") == ["no"]
    assert [kv for s, kv in sections(net) if s == "Address"] == [
        [("Address", "fd00:10::1/64"), ("DuplicateAddressDetection", "none")]]
    assert [kv for s, kv in sections(net) if s == "Route"] == [
        [("Gateway", "fd00:10::fe")],  # default6: no Destination, networkd takes the family from the gateway
        [("Gateway", "fd00:10::fd"), ("Destination", "fd00:99::/64")]]


def test_dual_stack_from_the_ipv6_topology(run):
    t = topology.load(TOPO_DIR / "ipv6.yml")
    files, sysctl, err = run(render.kernel_cmdline(t.hosts["tun1"]))
    assert not err
    net = files["20-lab-eth1.network"]
    assert values(net, "Network", "Address") == ["10.0.1.21/24"]  # IPv4 in [Network]
    assert values(net, "Address", "Address") == ["fd00:10:1::21/64"]  # IPv6 in [Address], no DAD
    assert values(net, "Address", "DuplicateAddressDetection") == ["none"]
    assert values(net, "Network", "LinkLocalAddressing") == ["ipv6"]
    # [Network] keys come before the first other section (or they would land in it)
    assert [s for s, _ in sections(net)][:4] == ["Match", "Link", "Network", "Address"]
    assert [kv for s, kv in sections(net) if s == "Route"] == [[("Gateway", "10.0.1.254")], [("Gateway", "fd00:10:1::254")]]

    files, sysctl, _ = run(render.kernel_cmdline(t.hosts["director"], t))
    eth1 = files["20-lab-eth1.network"]
    assert values(eth1, "Network", "Address") == ["10.0.0.1/24"] and values(eth1, "Address", "Address") == ["fd00:10::1/64"]
    assert [kv for s, kv in sections(eth1) if s == "Route"] == [
        [("Gateway", "fd00:10::100"), ("Destination", "fd00:10:1::/64")],
        [("Gateway", "10.0.0.100"), ("Destination", "10.0.1.0/24")]]
    eth2 = files["20-lab-eth2.network"]
    # no address, but an IPv6 segment: the link-local address stays (the NAT director forwards
    # to the real servers out of it, and the kernel solicits neighbours from that address)
    assert values(eth2, "Network", "LinkLocalAddressing") == ["ipv6"] and "Address=" not in eth2

    _, sysctl, _ = run(render.kernel_cmdline(t.hosts["client"]))
    assert "net.ipv6.conf.all.forwarding=1" in sysctl.splitlines()


def test_default_route_family_must_match_its_gateway(run):
    files, _, err = run(["lab.eth1=10.0.0.1/24,fd00:10::1/64",
                         "lab.eth1.routes=default6@10.0.0.254,default@fd00:10::fe,default@10.0.0.253"])
    assert "default6 needs an IPv6 gateway" in err and "default needs an IPv4 gateway" in err
    net = files["20-lab-eth1.network"]
    assert [kv for s, kv in sections(net) if s == "Route"] == [[("Gateway", "10.0.0.253")]]


def test_words_in_any_order_and_management_nic(run):
    files, _, _ = run(["lab.eth1.routes=default6@fd00:10::fe", "lab.eth0=10.0.2.11/24", "lab.eth1=fd00:10::1/64"])
    assert values(files["20-lab-eth0.network"], "Network", "Address") == ["10.0.2.11/24"]
    assert values(files["20-lab-eth1.network"], "Route", "Gateway") == ["fd00:10::fe"]
    assert not any(name.endswith(".routes") for name in files)
