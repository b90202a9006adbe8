#!/usr/bin/env python3
"""Converge benchmark: first and second ``playbooks/site.yml`` run on the mixed lab cluster.

Boots the lab topology ``default`` (9 hosts: client, director, router, 2 DR, 2 TUN, 2 NAT
real servers) as its own instance unless ``--instance`` names one that is already up, runs
``site.yml`` with the mixed DR+TUN+NAT inventory (``molecule/mixed/inventory``) twice and
prints, per run, the wall time, the tasks per host (ok / changed / skipped from the recap)
and the total. The second run must report changed=0 (idempotence); the script exits 1 if not.
Optionally (``--verify``) times ``playbooks/verify.yml`` as well.

Every lab host is a qemu TCG VM on the same 2 cores, so the numbers are dominated by the
guest CPU: they compare runs and commits on this machine, not with real hardware.

Usage: python3 bench/converge.py [--instance NAME] [--keep] [--verify]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
INVENTORY = ROOT / "molecule" / "mixed" / "inventory"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)")

# What molecule/*/molecule.yml sets for the lab: without pipelining and a persistent SSH
# master every task costs several extra SSH round trips into a TCG guest.
ENV = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_FORKS": "10",
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=300s -o ServerAliveInterval=5 -o ServerAliveCountMax=3",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".tmp" / "collections"),
}


def playbook(lab_inventory: str, name: str, log: Path) -> tuple[float, dict[str, tuple[int, ...]], int]:
    argv = [str(BIN / "ansible-playbook"), "-i", lab_inventory, "-i", str(INVENTORY), str(ROOT / "playbooks" / name)]
    start = time.monotonic()
    with open(log, "w") as out:
        rc = subprocess.run(argv, env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).returncode
    wall = time.monotonic() - start
    recap: dict[str, tuple[int, ...]] = {}
    for line in log.read_text(errors="replace").splitlines():
        m = RECAP.match(line)
        if m:
            recap[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return wall, recap, rc


def report(label: str, wall: float, recap: dict[str, tuple[int, ...]], rc: int) -> None:
    print(f"\n{label}: {wall:.1f} s wall, rc={rc}")
    print(f"  {'host':<10} {'ok':>4} {'changed':>8} {'skipped':>8} {'failed':>7}")
    for host, (ok, changed, unreachable, failed, skipped) in sorted(recap.items()):
        print(f"  {host:<10} {ok:>4} {changed:>8} {skipped:>8} {failed + unreachable:>7}")
    total = [sum(v[i] for v in recap.values()) for i in range(5)]
    print(f"  {'total':<10} {total[0]:>4} {total[1]:>8} {total[4]:>8} {total[2] + total[3]:>7}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="bench-converge")
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--verify", action="store_true", help="also time playbooks/verify.yml")
    a = ap.parse_args()
    logs = ROOT / ".tmp" / "bench"
    logs.mkdir(parents=True, exist_ok=True)

    t = time.monotonic()
    up = subprocess.run(LABCTL + ["up", "default", "--instance", a.instance], stdout=subprocess.PIPE, text=True)
    if up.returncode != 0:
        return up.returncode
    print(f"lab instance {a.instance} up in {time.monotonic() - t:.1f} s (0 s when it was already running)")
    lab_inventory = subprocess.run(LABCTL + ["inventory", "--instance", a.instance], stdout=subprocess.PIPE,
                                   text=True, check=True).stdout.strip()
    try:
        first = playbook(lab_inventory, "site.yml", logs / "converge-1.log")
        report("site.yml, first run", *first)
        second = playbook(lab_inventory, "site.yml", logs / "converge-2.log")
        report("site.yml, second run (idempotence)", *second)
        changed = sum(v[1] for v in second[1].values())
        print(f"\nsecond run changed={changed} ({'idempotent' if changed == 0 else 'NOT idempotent'}); "
              f"second/first wall = {second[0] / first[0]:.2f}; logs in {logs}")
        rc = first[2] or second[2] or (1 if changed else 0)
        if a.verify and rc == 0:
            verify = playbook(lab_inventory, "verify.yml", logs / "verify.log")
            report("verify.yml", *verify)
            rc = verify[2]
        return rc
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
