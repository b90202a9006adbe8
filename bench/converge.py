#!/usr/bin/env python3
"""Converge benchmark: first and second ``playbooks/site.yml`` run on the mixed lab cluster.

Boots the lab topology ``default`` (9 hosts: client, director, router, 2 DR, 2 TUN, 2 NAT
real servers) as its own instance unless ``--instance`` names one that is already up, runs
``site.yml`` with the mixed DR+TUN+NAT inventory (``molecule/mixed/inventory``) twice and
prints, per run, the wall time, the tasks per host (ok / changed / skipped from the recap)
and the total, then runs ``site.yml --check`` on the converged cluster. The second run and the
check run must report changed=0; the script exits 1 if not. It prints the issue-9 targets:
at most 12 tasks run on a converged host, the no-op run takes at most 1/3 of the first.
Optionally (``--verify``) times ``playbooks/verify.yml`` as well.

``--runs N`` is the lab's reliability soak: N consecutive full converges of the mixed
cluster, each bounded by ``--timeout`` seconds (a hung SSH session shows up as a timeout, not
as a stuck benchmark); it prints every run and how many finished, and counts the UML vector
driver's "GSO" errors in the guest consoles (the prototype's hang; 0 expected).

Every lab host is a UML kernel on the same 2 cores, so the numbers are dominated by the
guest CPU: they compare runs and commits on this machine, not with real hardware.

Usage: python3 bench/converge.py [--instance NAME] [--keep] [--verify] [--runs N] [--timeout S]
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

# What .config/molecule/config.yml (the Molecule base config) sets for the lab: without pipelining and a persistent SSH
# master every task costs several extra SSH round trips into a guest.
ENV = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_FORKS": "10",
    "ANSIBLE_HOST_KEY_CHECKING": "False",
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=300s -o ServerAliveInterval=5 -o ServerAliveCountMax=3",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".tmp" / "collections"),
}


def playbook(lab_inventory: str, name: str, log: Path, timeout: float | None = None, extra: tuple[str, ...] = ()
             ) -> tuple[float, dict[str, tuple[int, ...]], int]:
    argv = [str(BIN / "ansible-playbook"), "-i", lab_inventory, "-i", str(INVENTORY), str(ROOT / "playbooks" / name),
            *extra]
    start = time.monotonic()
    with open(log, "w") as out:
        try:
            rc = subprocess.run(argv, env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 124  # like timeout(1): the run did not finish
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


def gso_errors(instance: str) -> int:
    sys.path.insert(0, str(ROOT / "lab"))
    from lvslab import runtime  # noqa: E402 - the lab package is not on the path by default
    return sum(p.read_text(errors="replace").count("Incoming GSO frames")
               for p in runtime.log_dir(instance).glob("*.console"))


def soak(lab_inventory: str, logs: Path, a) -> int:
    results = []
    for i in range(1, a.runs + 1):
        wall, recap, rc = playbook(lab_inventory, "site.yml", logs / f"soak-{i}.log", a.timeout)
        changed = sum(v[1] for v in recap.values())
        results.append((wall, rc, changed))
        print(f"run {i:2d}/{a.runs}: {wall:6.1f} s  rc={rc}  changed={changed}"
              + ("  TIMED OUT" if rc == 124 else ""), flush=True)
    done = sum(1 for _, rc, _ in results if rc != 124)
    ok = sum(1 for _, rc, _ in results if rc == 0)
    later = sorted(w for w, _, _ in results[1:])
    print(f"\n{done}/{a.runs} runs finished, {ok}/{a.runs} succeeded; first {results[0][0]:.1f} s, "
          f"later runs min/median/max {later[0]:.1f}/{later[len(later) // 2]:.1f}/{later[-1]:.1f} s; "
          f"runs 2..{a.runs} changed={sum(c for _, _, c in results[1:])}; "
          f"GSO errors on the consoles: {gso_errors(a.instance)}")
    return 0 if ok == a.runs else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="bench-converge")
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--verify", action="store_true", help="also time playbooks/verify.yml")
    ap.add_argument("--runs", type=int, default=2, help="consecutive site.yml runs (default 2)")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds one run may take (default 1200)")
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
        if a.runs > 2:
            return soak(lab_inventory, logs, a)
        first = playbook(lab_inventory, "site.yml", logs / "converge-1.log", a.timeout)
        report("site.yml, first run", *first)
        second = playbook(lab_inventory, "site.yml", logs / "converge-2.log", a.timeout)
        report("site.yml, second run (idempotence)", *second)
        changed = sum(v[1] for v in second[1].values())
        print(f"\nsecond run changed={changed} ({'idempotent' if changed == 0 else 'NOT idempotent'}); "
              f"second/first wall = {second[0] / first[0]:.2f}; logs in {logs}")
        check = playbook(lab_inventory, "site.yml", logs / "converge-check.log", a.timeout, ("--check",))
        report("site.yml --check on the converged cluster", *check)
        check_changed = sum(v[1] for v in check[1].values())
        # Targets (issue 9): tasks a converged host runs (ok + changed of the second run,
        # the controller's localhost aside), the no-op run's share of the first, check mode.
        tasks = max(ok + ch for host, (ok, ch, *_rest) in second[1].items() if host != "localhost")
        ratio = second[0] / first[0]
        print(f"\ntargets: most tasks on a converged host {tasks} (<= 12: {'PASS' if tasks <= 12 else 'MISS'}); "
              f"second/first wall {ratio:.2f} (<= 0.33: {'PASS' if ratio <= 1 / 3 else 'MISS'}); "
              f"--check changed={check_changed} (0: {'PASS' if check_changed == 0 else 'MISS'})")
        rc = first[2] or second[2] or check[2] or (1 if changed or check_changed else 0)
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
