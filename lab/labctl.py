#!/usr/bin/env python3
"""labctl: the lvs.cluster test lab (User-Mode Linux hosts joined by bridges in a namespace).

  labctl.py build [--rebuild]                 build (or find) the cached base image
  labctl.py up TOPOLOGY [--instance NAME]     boot a topology; prints the inventory path
  labctl.py down [--instance NAME]            stop everything of an instance
  labctl.py status [--instance NAME] [--json] what runs, ports, memory, sshd state
  labctl.py stop HOST [-i NAME]               fault: hard power-off (like pulling the plug)
  labctl.py start HOST [-i NAME]              power a stopped host on again, wait for its sshd
  labctl.py cut HOST NIC [-i NAME]            fault: cut a data NIC's cable (eth1..)
  labctl.py mend HOST NIC [-i NAME]           reconnect it
  labctl.py inventory [--instance NAME] [--molecule]  path of the Ansible inventory
                                              (--molecule: of Molecule's instance config)
  labctl.py validate TOPOLOGY...              check topology files without booting
  labctl.py ssh HOST [--instance NAME] [CMD...]  log in to a host

TOPOLOGY is a name from lab/topologies/ (default, dr, tun, nat) or a path to a .yml file.
Only the standard library and PyYAML are used. See lab/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(LAB_DIR))

from lvslab import image, ports, runtime, topology  # noqa: E402

TOPO_DIR = LAB_DIR / "topologies"


def _topo(name: str) -> Path:
    return topology.resolve(name, TOPO_DIR)


def cmd_build(a) -> int:
    image.build(rebuild=a.rebuild)
    return 0


def cmd_up(a) -> int:
    inv = runtime.up(_topo(a.topology), a.instance, base_port=a.base_port, timeout=a.timeout,
                     log=lambda m: print(m, file=sys.stderr, flush=True))
    print(inv)
    return 0


def cmd_down(a) -> int:
    runtime.down(a.instance, log=lambda m: print(m, flush=True))
    return 0


def cmd_status(a) -> int:
    st = runtime.status(a.instance)
    if a.json:
        print(json.dumps(st, indent=2))
        return 0
    if not st:
        print("no lab instances")
    for inst in st:
        print(f"instance {inst['instance']}: topology {inst.get('topology', '?')}, {inst['phase']}"
              + (f", up in {inst['ready_s']} s" if inst.get("ready_s") else ""))
        for name, h in inst["hosts"].items():
            state = "ssh ok" if h["ssh"] else ("running" if h["alive"] else "OFF")
            mem = f"{h['mem_mib']} MiB" if h["mem_mib"] is not None else "-"
            cut = f"  cut: {', '.join(h['cut'])}" if h["cut"] else ""
            print(f"  {name:10s} port {h['port']:5d}  pid {h['pid'] or '-':>7}  mem {mem:>8}  {state}{cut}")
        print(f"  namespace {inst['netns']}, SSH forwarder {'running' if inst['forwarder'] else 'DEAD'}")
        if inst.get("inventory"):
            print(f"  inventory: {inst['inventory']}")
    return 0


def cmd_inventory(a) -> int:
    st = runtime.load_state(a.instance)
    if not st or st.get("phase") != "ready":
        print(f"instance {a.instance} is not up", file=sys.stderr)
        return 1
    name = "instance_config.json" if a.molecule else "inventory.yml"
    print(runtime.run_dir(a.instance) / name)
    return 0


def cmd_validate(a) -> int:
    rc = 0
    for t in a.topology:
        try:
            topo = topology.load(_topo(t))
            print(f"{t}: ok ({len(topo.hosts)} hosts, segments {', '.join(topo.segments)})")
        except topology.TopologyError as exc:
            print(exc, file=sys.stderr)
            rc = 1
    return rc


def cmd_ssh(a) -> int:
    # `ssh HOST -i NAME CMD` is the natural order; argparse's REMAINDER would
    # swallow `-i NAME` into the command and silently target another instance.
    if len(a.cmd) >= 2 and a.cmd[0] in ("-i", "--instance"):
        a.instance, a.cmd = a.cmd[1], a.cmd[2:]
    st = runtime.load_state(a.instance)
    if not st or a.host not in st["hosts"]:
        print(f"no host {a.host} in instance {a.instance}", file=sys.stderr)
        return 1
    argv = runtime.ssh_argv(st, a.host, *a.cmd)
    if not a.cmd:
        argv.insert(1, "-t")
    os.execvp(argv[0], argv)


def cmd_stop(a) -> int:
    runtime.power_off(a.instance, a.host, log=lambda m: print(m, flush=True))
    return 0


def cmd_start(a) -> int:
    runtime.power_on(a.instance, a.host, timeout=a.timeout, log=lambda m: print(m, flush=True))
    return 0


def cmd_link(a) -> int:
    runtime.link(a.instance, a.host, a.nic, up=a.cmd == "mend", log=lambda m: print(m, flush=True))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="labctl", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    inst = argparse.ArgumentParser(add_help=False)
    inst.add_argument("--instance", "-i", default=os.environ.get("LVS_LAB_INSTANCE", "default"),
                      help="instance name (default: $LVS_LAB_INSTANCE or 'default')")

    s = sub.add_parser("build", help="build or find the cached image")
    s.add_argument("--rebuild", action="store_true", help="ignore the cache and build from nothing")
    s.set_defaults(fn=cmd_build)
    s = sub.add_parser("up", parents=[inst], help="boot a topology")
    s.add_argument("topology")
    s.add_argument("--base-port", type=int, help="first SSH port (default: a free block)")
    s.add_argument("--timeout", type=float, default=runtime.DEFAULT_TIMEOUT,
                   help="seconds until every sshd must answer")
    s.set_defaults(fn=cmd_up)
    s = sub.add_parser("down", parents=[inst], help="tear an instance down")
    s.set_defaults(fn=cmd_down)
    s = sub.add_parser("status", help="show instances")
    s.add_argument("--instance", "-i", default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_status)
    s = sub.add_parser("inventory", parents=[inst], help="print the inventory path")
    s.add_argument("--molecule", action="store_true", help="print Molecule's instance config path")
    s.set_defaults(fn=cmd_inventory)
    s = sub.add_parser("validate", help="check topology files")
    s.add_argument("topology", nargs="+")
    s.set_defaults(fn=cmd_validate)
    s = sub.add_parser("ssh", parents=[inst], help="ssh to a host")
    s.add_argument("host")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_ssh)

    s = sub.add_parser("stop", parents=[inst], help="hard power-off of one host")
    s.add_argument("host")
    s.set_defaults(fn=cmd_stop)
    s = sub.add_parser("start", parents=[inst], help="power a stopped host on")
    s.add_argument("host")
    s.add_argument("--timeout", type=float, default=runtime.DEFAULT_TIMEOUT)
    s.set_defaults(fn=cmd_start)
    for verb, what in (("cut", "disconnect"), ("mend", "reconnect")):
        s = sub.add_parser(verb, parents=[inst], help=f"{what} one data NIC of a host")
        s.add_argument("host")
        s.add_argument("nic")
        s.set_defaults(fn=cmd_link)

    a = p.parse_args(argv)
    try:
        return a.fn(a)
    except (topology.TopologyError, runtime.LabError, image.BuildError, ports.PortError) as exc:
        print(f"labctl {a.cmd}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
