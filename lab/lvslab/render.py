"""Pure renderers: topology + instance facts -> MACs, network plan, kernel cmdline, UML argv,
inventories.

Nothing here touches the system, so tests/lab/ checks all of it without booting anything.
"""

from __future__ import annotations

import ipaddress
import zlib
from pathlib import Path

from .topology import Host, Topology

SSH_USER = "root"
PYTHON = "/usr/bin/python3"
# Management network inside every instance's namespace: the namespace's bridge holds .2 (the
# forwarder connects from there), host N gets .(10+N). Each instance has its own namespace, so
# instances reuse these addresses without ever meeting.
MGMT_NET = ipaddress.IPv4Network("10.0.2.0/24")
MGMT_GATEWAY = "10.0.2.2"
MGMT_BRIDGE = "mgmt"
# UML vector NIC options. gro=1 is the fix for the prototype's hung SSH sessions: the tap
# transport reads frames with a vnet header, and the host hands it TCP segmentation-offload
# frames up to 64 KiB; without gro=1 the driver's receive buffer is MTU-sized, such frames are
# truncated ("Incoming GSO frames and GRO disabled" on the console) and every retransmission of
# that segment is truncated again, so a bulk transfer towards the guest stalls for good.
VEC_OPTIONS = "transport=tap,gro=1"


def instance_byte(instance: str) -> int:
    return zlib.crc32(instance.encode()) & 0xFF


def mac(instance: str, host_index: int, nic_index: int) -> str:
    """Locally administered unicast MAC, unique per (instance, host, NIC).

    02:1b:II:00:HH:NN where II derives from the instance name. Segments of different instances
    are separate switches anyway; the instance byte keeps MACs distinct in captures/logs too.
    NIC 0 is the management NIC.
    """
    return "02:1b:%02x:00:%02x:%02x" % (instance_byte(instance), host_index, nic_index)


def kernel_cmdline(host: Host, topo: Topology | None = None) -> list[str]:
    """Kernel command line words; lab-net inside the guest turns lab.* into networkd config.

    A NIC without addresses is `none`, or `ipv6ll` when its segment has IPv6: the NIC then keeps
    its IPv6 link-local address like any real host's. Without one the kernel sends no neighbour
    solicitation for traffic it forwards out of that NIC (a NAT director's DIP side, whose
    DIP the role adds later), so IPv6 NAT would fail on a lab artefact.
    """
    words = [
        "root=/dev/ubda", "rw", "net.ifnames=0", "panic=5", "quiet",
        # quiet keeps kernel chatter off the console; systemd still logs each unit there, so a
        # console tail shows where a boot got stuck
        "systemd.show_status=1",
        f"systemd.hostname={host.name}",
        # management address on eth0 (no gateway: SSH arrives from MGMT_GATEWAY, on-link)
        f"lab.eth0={mgmt_address(host)}/{MGMT_NET.prefixlen}",
    ]
    for nic in host.nics:
        # every address of the NIC, IPv4 first: lab.eth1=10.0.0.1/24,fd00:10::1/64 (or none)
        empty = "ipv6ll" if topo is not None and topo.segments[nic.segment].subnet6 else "none"
        words.append(f"lab.{nic.name}={','.join(a.with_prefixlen for a in nic.addresses) or empty}")
        # DST@GW, DST = default (IPv4), default6 (IPv6) or a CIDR of either family
        routes = [f"{r.to}@{r.via}" for r in host.routes if r.dev == nic.name]
        if routes:
            words.append(f"lab.{nic.name}.routes={','.join(routes)}")
    if host.sysctl:
        words.append("lab.sysctl=" + ",".join(f"{k}={v}" for k, v in host.sysctl.items()))
    return words


def mgmt_address(host: Host) -> str:
    return str(MGMT_NET.network_address + 10 + host.index)


def netns(instance: str) -> str:
    """The network namespace that holds every bridge and tap of an instance."""
    return f"lvslab-{instance}"


def bridge(topo: Topology, segment: str) -> str:
    # interface names are at most 15 bytes; the index keeps truncated names unique
    return f"s{list(topo.segments).index(segment)}-{segment}"[:15]


def tap(host: Host, nic_index: int) -> str:
    """Tap of a host's NIC: h<host index>e<nic index> (e0 = management)."""
    return f"h{host.index}e{nic_index}"


def net_plan(topo: Topology) -> list[str]:
    """`ip -batch` lines that build an instance's namespace: bridges and persistent taps.

    Bridges are pure L2 (no STP, no forward delay, no multicast snooping: VRRP adverts and
    IPv6 neighbour solicitations must flood like on a dumb switch). Only the management bridge
    has an address, the one SSH is forwarded from.
    """
    lines = ["link set lo up",
             f"link add {MGMT_BRIDGE} type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
             f"addr add {MGMT_GATEWAY}/{MGMT_NET.prefixlen} dev {MGMT_BRIDGE}",
             f"link set {MGMT_BRIDGE} up"]
    for seg in topo.segments:
        br = bridge(topo, seg)
        lines += [f"link add {br} type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
                  f"link set {br} up"]
    for h in topo.hosts.values():
        ports = [(0, MGMT_BRIDGE)] + [(i, bridge(topo, n.segment)) for i, n in enumerate(h.nics, start=1)]
        for i, br in ports:
            lines += [f"tuntap add dev {tap(h, i)} mode tap", f"link set {tap(h, i)} master {br}",
                      f"link set {tap(h, i)} up"]
    return lines


def uml_argv(*, instance: str, host: Host, topo: Topology, image: Path, cow: Path, uml_dir: Path,
             kernel: str) -> list[str]:
    """The UML kernel's command line; it runs inside netns(instance) with TMPDIR on tmpfs.

    The disk is a UML copy-on-write file over the shared read-only base image (UML checks
    the backing file's mtime, so the image must never change under a running host). The
    console (con0) is the process's stdout, which the launcher points at the console log; the
    other consoles and serial lines are off.
    """
    argv = [kernel, f"umid={host.name}", f"uml_dir={uml_dir}", f"mem={host.memory}M",
            f"ubd0={cow},{image / 'base.img'}", "con=null", "con0=null,fd:1", "ssl=null",
            "console=tty0"]
    for i in range(len(host.nics) + 1):
        argv.append(f"vec{i}:{VEC_OPTIONS},ifname={tap(host, i)},mac={mac(instance, host.index, i)}")
    return argv + kernel_cmdline(host, topo)


def _ssh_common_args(run_dir: Path) -> str:
    # Every host of every lab image shares the image's host keys and ports are reused between
    # runs, so host keys are not checked and never written to the user's known_hosts.
    return f"-o UserKnownHostsFile={run_dir / 'known_hosts'} -o StrictHostKeyChecking=no -o LogLevel=ERROR"


def host_vars(topo: Topology, host: Host, *, port: int, key: Path, run_dir: Path, instance: str) -> dict:
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": SSH_USER,
        "ansible_ssh_private_key_file": str(key),
        "ansible_python_interpreter": PYTHON,
        "ansible_ssh_common_args": _ssh_common_args(run_dir),
        # data-plane facts the tests can use without hard-coding the topology
        # per family: the bare address (None without one) and the prefix (the address's, else the
        # segment's subnet's; None when the segment has no subnet of that family)
        "lab_nics": [
            {"name": n.name, "segment": n.segment, "mac": mac(instance, host.index, i),
             "address": str(n.address.ip) if n.address else None,
             "prefix": _prefix(n.address, topo.segments[n.segment].subnet),
             "address6": str(n.address6.ip) if n.address6 else None,
             "prefix6": _prefix(n.address6, topo.segments[n.segment].subnet6)}
            for i, n in enumerate(host.nics, start=1)
        ],
        "lab_address": next((str(n.address.ip) for n in host.nics if n.address), None),
        "lab_address6": next((str(n.address6.ip) for n in host.nics if n.address6), None),
    }


def _prefix(address, subnet) -> int | None:
    if address is not None:
        return address.network.prefixlen
    return subnet.prefixlen if subnet is not None else None


def inventory(topo: Topology, *, instance: str, ports: dict[str, int], key: Path, run_dir: Path) -> dict:
    """Ansible YAML inventory: all hosts with connection vars, topology groups, lab facts."""
    hosts = {
        h.name: host_vars(topo, h, port=ports[h.name], key=key, run_dir=run_dir, instance=instance)
        for h in topo.hosts.values()
    }
    children = {g: {"hosts": {m: {} for m in members}} for g, members in topo.groups().items()}
    return {
        "all": {
            "hosts": hosts,
            "children": children,
            "vars": {
                "lab_instance": instance,
                "lab_topology": topo.name,
                "lab_segments": {
                    s.name: {"subnet": str(s.subnet) if s.subnet else None,
                             "subnet6": str(s.subnet6) if s.subnet6 else None,
                             "reserved": {k: str(v) for k, v in s.reserved.items()}}
                    for s in topo.segments.values()
                },
            },
        }
    }


def instance_config(topo: Topology, *, ports: dict[str, int], key: Path) -> list[dict]:
    """Molecule's instance config (default/delegated driver): one entry per host."""
    return [
        {"instance": h.name, "address": "127.0.0.1", "port": ports[h.name], "user": SSH_USER,
         "identity_file": str(key), "become_method": False}
        for h in topo.hosts.values()
    ]
