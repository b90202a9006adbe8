#!/usr/bin/env python3
"""Benchmark of the test lab (lab/labctl.py): how long it takes and what it costs.

Measures
  image build      from nothing (--rebuild builds again; otherwise reported from the cached
                   image's build.json, written by the build itself) and from cache
  boot             launch -> every host answers SSH (default topology unless --topology)
  memory           per guest: the allocated blocks of the UML kernel's RAM file (tmpfs; UML's
                   RAM is not process RSS) plus the RSS of its host processes
  ansible ping     over all hosts, cold (no SSH control master yet) and warm
  10-task play     over all hosts
  reboot           ansible.builtin.reboot of one host until it answers again

The lab has one backend, User-Mode Linux (lab/README.md says why qemu TCG went); the TCG
figures it replaced are in docs/testing.md. Target (2-core machine): default topology
up-to-reachable < 60 s.
Usage: python3 bench/lab_boot.py [--rebuild] [--topology default] [--instance bench] [--keep]
Run with the project venv's python (it needs ansible-playbook next to it or on PATH).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
sys.path.insert(0, str(ROOT / "lab"))

from lvslab import image, runtime  # noqa: E402

TEN_TASKS = """
- name: bench, 10 tasks
  hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.ping:
    - ansible.builtin.command: {argv: [uname, -r]}
    - ansible.builtin.stat: {path: /proc/net/ip_vs}
    - ansible.builtin.file: {path: /tmp/bench, state: directory, mode: "0755"}
    - ansible.builtin.copy: {dest: /tmp/bench/a.conf, content: "x = 1\\n", mode: "0644"}
    - ansible.builtin.lineinfile: {path: /tmp/bench/a.conf, line: "y = 2"}
    - ansible.builtin.command: {argv: [ip, -br, addr]}
    - ansible.builtin.slurp: {src: /etc/hostname}
    - ansible.builtin.command: {argv: [sysctl, -n, net.ipv4.ip_forward]}
    - ansible.builtin.file: {path: /tmp/bench, state: absent}
"""

REBOOT = """
- name: bench, reboot one host
  hosts: "{{ bench_host }}"
  gather_facts: false
  tasks:
    - ansible.builtin.reboot: {reboot_timeout: 400}
"""


def tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def timed(argv, env=None, check=True):
    t = time.monotonic()
    res = subprocess.run(argv, env=env, capture_output=True, text=True)
    dt = time.monotonic() - t
    if check and res.returncode != 0:
        sys.stderr.write(res.stdout[-3000:] + res.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(map(str, argv))}")
    return dt, res


def runtime_rss_kib(pid: int) -> int:
    """RSS of one process, without the shared RAM file (RssShmem) that memory_kib counts."""
    vals = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("RssAnon", "RssFile"):
                vals[k] = int(v.split()[0])
    except OSError:
        pass
    return sum(vals.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the image from nothing (needs root, ~1-2 min)")
    ap.add_argument("--topology", default="default")
    ap.add_argument("--instance", default="bench")
    ap.add_argument("--reboot-host", default=None, help="host to reboot (default: the last one)")
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args()
    r: dict = {"backend": "uml", "topology": a.topology, "instance": a.instance, "cpus": os.cpu_count()}

    # --- image ---------------------------------------------------------------------------
    if a.rebuild:
        dt, _ = timed(LABCTL + ["build", "--rebuild"])
        r["build_from_nothing_s"] = round(dt, 1)
        r["build_from_nothing_source"] = "measured now"
    dt, _ = timed(LABCTL + ["build"])
    r["build_cached_s"] = round(dt, 2)
    info = json.loads((image.find_image() / "build.json").read_text())
    if not a.rebuild:
        r["build_from_nothing_s"] = info["build_seconds"]
        r["build_from_nothing_source"] = f"build.json of {info['built_at']}"
    r["build_steps_s"] = info["steps_seconds"]

    # --- boot ----------------------------------------------------------------------------
    timed(LABCTL + ["down", "--instance", a.instance])
    try:
        dt, res = timed(LABCTL + ["up", a.topology, "--instance", a.instance])
        inv = res.stdout.strip().splitlines()[-1]
        st = runtime.load_state(a.instance)
        r["boot_to_ssh_s"] = st["ready_s"]
        r["up_command_s"] = round(dt, 1)
        r["ssh_ready_per_host_s"] = {h: v.get("ssh_ready_s") for h, v in st["hosts"].items()}
        r["guest_ram_file_mib"] = {h: v["mem_mib"] for h, v in runtime.status(a.instance)[0]["hosts"].items()}
        rss = {h: sum(runtime_rss_kib(p) for p in runtime.host_pids(a.instance, h)) // 1024
               for h in st["hosts"]}
        r["host_processes_rss_mib"] = rss

        # --- ansible -----------------------------------------------------------------------
        with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
            env = dict(os.environ,
                       ANSIBLE_PIPELINING="True", ANSIBLE_HOST_KEY_CHECKING="False",
                       ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=120s "
                                        "-o ServerAliveInterval=5 -o ServerAliveCountMax=3",
                       ANSIBLE_SSH_CONTROL_PATH_DIR=f"{tmp}/cp", ANSIBLE_FORKS="10",
                       ANSIBLE_LOCAL_TEMP=f"{tmp}/tmp", ANSIBLE_STDOUT_CALLBACK="default")
            ping = [tool("ansible"), "all", "-i", inv, "-m", "ansible.builtin.ping"]
            r["ansible_ping_cold_s"] = round(timed(ping, env)[0], 1)
            r["ansible_ping_warm_s"] = round(timed(ping, env)[0], 1)
            play = Path(tmp) / "ten.yml"
            play.write_text(TEN_TASKS)
            r["play_10_tasks_s"] = round(timed([tool("ansible-playbook"), "-i", inv, str(play)], env)[0], 1)
            host = a.reboot_host or list(st["hosts"])[-1]
            rb = Path(tmp) / "reboot.yml"
            rb.write_text(REBOOT)
            r["reboot_host"] = host
            r["reboot_s"] = round(timed([tool("ansible-playbook"), "-i", inv, str(rb),
                                         "-e", f"bench_host={host}"], env)[0], 1)
    finally:
        if not a.keep:
            timed(LABCTL + ["down", "--instance", a.instance], check=False)

    width = max(len(k) for k in r)
    for k, v in r.items():
        print(f"{k:{width}s}  {v}")
    if a.json:
        Path(a.json).write_text(json.dumps(r, indent=2) + "\n")
    ok = r["boot_to_ssh_s"] < 60 if a.topology == "default" else True
    print(f"target default topology up < 60 s: {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
