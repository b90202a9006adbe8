"""Pure renderers: topology + instance facts -> MACs, kernel cmdline, qemu argv, inventories.

Nothing here touches the system, so tests/lab/ checks all of it without booting anything.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from .topology import Host, Topology

SSH_USER = "root"
PYTHON = "/usr/bin/python3"
# Measured (shared/lab/README.md): tb-size=128 halves RSS against the default translation
# cache at no speed cost; qemu64 is as fast as "max" under TCG. -enable-kvm hangs on these
# hosts, so it is never used.
QEMU_ACCEL = ["-accel", "tcg,tb-size=128", "-cpu", "qemu64", "-smp", "1"]


def instance_byte(instance: str) -> int:
    return zlib.crc32(instance.encode()) & 0xFF


def mac(instance: str, host_index: int, nic_index: int) -> str:
    """Locally administered unicast MAC, unique per (instance, host, NIC).

    02:1b:II:00:HH:NN where II derives from the instance name. Segments of different instances
    are separate switches anyway; the instance byte keeps MACs distinct in captures/logs too.
    NIC 0 is the management NIC.
    """
    return "02:1b:%02x:00:%02x:%02x" % (instance_byte(instance), host_index, nic_index)


def kernel_cmdline(host: Host) -> list[str]:
    """Kernel command line words; lab-net inside the guest turns lab.* into networkd config."""
    words = [
        "root=/dev/vda", "console=ttyS0,115200", "net.ifnames=0", "panic=5", "quiet",
        # speculative-execution mitigations guard against other tenants; a lab VM has none, and
        # under TCG every retpoline and barrier is emulated at a heavy cost
        "mitigations=off",
        # quiet keeps kernel chatter off the (slow, emulated) serial line; systemd still logs each
        # unit there, so a console tail shows where a boot got stuck
        "systemd.show_status=1",
        f"systemd.hostname={host.name}",
    ]
    for nic in host.nics:
        words.append(f"lab.{nic.name}={nic.address.with_prefixlen if nic.address else 'none'}")
        routes = [f"{r.to}@{r.via}" for r in host.routes if r.dev == nic.name]
        if routes:
            words.append(f"lab.{nic.name}.routes={','.join(routes)}")
    if host.sysctl:
        words.append("lab.sysctl=" + ",".join(f"{k}={v}" for k, v in host.sysctl.items()))
    return words


def qemu_argv(*, instance: str, host: Host, image: Path, overlay: Path, console: Path,
              pidfile: Path, port: int, vde_dir: Path, qemu: str = "qemu-system-x86_64") -> list[str]:
    argv = [
        qemu, "-name", f"lvslab-{instance}-{host.name},process=lvslab-{host.name}",
        *QEMU_ACCEL, "-m", str(host.memory),
        "-nodefaults", "-vga", "none", "-display", "none", "-monitor", "none",
        "-kernel", str(image / "vmlinuz"), "-initrd", str(image / "initrd.gz"),
        "-append", " ".join(kernel_cmdline(host)),
        "-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe,discard=unmap",
        # management NIC: user networking, restrict=on (no route from the guest to the host or
        # beyond), SSH forwarded from 127.0.0.1 only
        "-netdev", f"user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:{port}-:22",
        "-device", f"virtio-net-pci,netdev=mgmt,mac={mac(instance, host.index, 0)}",
        "-device", "virtio-rng-pci",
        "-serial", f"file:{console}", "-pidfile", str(pidfile), "-daemonize",
    ]
    # data NICs: one vde_switch per segment, so no data-plane frame touches the host IP stack
    for i, nic in enumerate(host.nics, start=1):
        argv += ["-netdev", f"vde,id=d{i},sock={vde_dir / nic.segment}",
                 "-device", f"virtio-net-pci,netdev=d{i},mac={mac(instance, host.index, i)}"]
    return argv


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
        "lab_nics": [
            {"name": n.name, "segment": n.segment, "mac": mac(instance, host.index, i),
             "address": str(n.address.ip) if n.address else None,
             "prefix": n.address.network.prefixlen if n.address else topo.segments[n.segment].subnet.prefixlen}
            for i, n in enumerate(host.nics, start=1)
        ],
        "lab_address": next((str(n.address.ip) for n in host.nics if n.address), None),
    }


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
                    s.name: {"subnet": str(s.subnet),
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
