#!/usr/bin/env python3
"""Rolling-update benchmark: a rollout of every real server under load, per forwarding mode.

Boots the lab topology ``default`` (client, director, router, 2 DR, 2 TUN, 2 NAT real servers)
as its own instance unless ``--instance`` names one that is up, converges it with
``playbooks/site.yml`` and the mixed DR+TUN+NAT inventory (``molecule/mixed/inventory``), then,
``--reps`` times: starts on the client, per VIP, a load of new connections and one of
kept-alive connections (20 requests each; a request every 20 ms, 5 s timeout), runs
``lvs.cluster.rolling_update`` (``molecule/mixed/tasks/rolling_update.yml``: restart the HTTP
service on every real server, one at a time, and reboot ``dr1``; ``lvs_rolling_resume=false``
so every repetition updates every host), stops the load and prints per mode (DR, TUN, NAT):

- total and failed requests (new connections + kept alive);
- the rollout's wall time and the time per real server;
- the longest drain wait (the task waiting for ActiveConn 0, from Ansible's JSON callback).

Every lab host is a UML kernel on the same 2 cores: compare runs on this machine.

Usage: python3 bench/rolling.py [--instance NAME] [--keep] [--reps N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from converge import ENV  # noqa: E402 - bench/ is the script's own directory on sys.path
from ha import Lab  # noqa: E402 - the lab's ssh and the load tool's reports, as bench/ha.py reads them

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
INVENTORY = ROOT / "molecule" / "mixed" / "inventory"
TASKS = ROOT / "molecule" / "mixed" / "tasks" / "rolling_update.yml"
TOOL = ROOT / "tests" / "tools" / "lvs_load.py"
# The mixed inventory's services (molecule/mixed/inventory/group_vars/all.yml).
URLS = {"http://10.0.0.10:80/": "dr", "http://10.0.0.40:8080/": "dr", "http://10.0.0.20:80/": "tun",
        "http://10.0.0.30:8080/": "nat"}
DRAIN_TASK = "Wait until the batch has no active connection left on any director"
DONE_TASK = "Mark this real server updated by this rollout (a rerun skips it)"


def playbook(inventory: str, name: str, log: Path, *extra: str, json_out: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, **ENV}
    if json_out:
        env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    argv = [str(BIN / "ansible-playbook"), "-i", inventory, "-i", str(INVENTORY), name, *extra]
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    log.write_text(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed (rc={proc.returncode}), see {log}")
    return proc


def from_callback(callback_json: str) -> tuple[list[float], set[str]]:
    """The seconds each drain wait took (one per batch) and the real servers the rollout
    finished, from the JSON callback's tasks."""
    data = json.loads(callback_json[callback_json.index("{"):])
    waits, done = [], set()
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            name, duration = task["task"]["name"], task["task"].get("duration") or {}
            if name == DRAIN_TASK and duration.get("end"):
                waits.append((datetime.fromisoformat(duration["end"]) - datetime.fromisoformat(duration["start"])).total_seconds())
            elif name == DONE_TASK:
                done.update(host for host, result in task["hosts"].items() if not result.get("failed"))
    return waits, done


def rollout(lab: Lab, logs: Path, rep: int) -> tuple[dict, float, list[float], int]:
    lab.sh("client", "rm -f /tmp/r.stop /tmp/r.*.load")
    loads = []
    for n, url in enumerate(URLS):
        for keep in (False, True):
            path = f"/tmp/r.{n}{'k' if keep else 'n'}.load"
            flag = " --keepalive 20" if keep else ""
            # One word: labctl ssh hands its words to ssh, whose remote shell parses them again.
            lab.sh("client", f"nohup python3 /usr/local/bin/lvs_load.py load {url} --stop /tmp/r.stop --interval 0.02 "
                               f"--timeout 5 --max 1800{flag} > {path} 2>&1 < /dev/null &")
            loads.append((url, path))
    began = time.monotonic()
    proc = playbook(lab.inventory, "lvs.cluster.rolling_update", logs / f"rolling-{rep}.json", "-e", f"lvs_rolling_tasks={TASKS}",
                    "-e", "molecule_rolling_reboot=dr1", "-e", "lvs_rolling_resume=false", json_out=True)
    wall = time.monotonic() - began
    lab.sh("client", "touch /tmp/r.stop")
    per_mode: dict[str, dict] = {}
    for url, path in loads:
        report = lab.report(path, 200)
        mode = per_mode.setdefault(URLS[url], {"total": 0, "failed": 0, "retried": 0, "longest_gap": 0.0})
        mode["total"] += report["total"]
        mode["failed"] += report["failed"]
        mode["retried"] += report.get("retried", 0)
        mode["longest_gap"] = max(mode["longest_gap"], report["longest_gap"])
    waits, done = from_callback(proc.stdout)
    return per_mode, wall, waits, len(done)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="bench-rolling")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    logs = ROOT / ".tmp" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    up = subprocess.run(LABCTL + ["up", "default", "--instance", a.instance])
    if up.returncode != 0:
        return up.returncode
    lab = Lab(a.instance)
    lab.inventory = subprocess.run(LABCTL + ["inventory", "--instance", a.instance], stdout=subprocess.PIPE, text=True,
                                   check=True).stdout.strip()
    try:
        playbook(lab.inventory, str(ROOT / "playbooks" / "site.yml"), logs / "rolling-site.log")
        subprocess.run(LABCTL + ["ssh", "client", "--instance", a.instance, "--", "cat > /usr/local/bin/lvs_load.py"],
                       input=TOOL.read_text(), text=True, check=True)
        print(f"lab {a.instance}: converged (mixed DR+TUN+NAT, one director, 6 real servers)", flush=True)
        for rep in range(1, a.reps + 1):
            per_mode, wall, waits, hosts = rollout(lab, logs, rep)
            print(f"rollout {rep}: {wall:.1f} s for {hosts} real servers ({wall / max(hosts, 1):.1f} s each); "
                  f"longest drain wait {max(waits or [0.0]):.1f} s over {len(waits)} batches", flush=True)
            for mode in ("dr", "tun", "nat"):
                m = per_mode[mode]
                print(f"  {mode:3s}: {m['total']:6d} requests, {m['failed']} failed, {m['retried']} resent on a closed "
                      f"kept-alive connection, longest gap {m['longest_gap']:.2f} s", flush=True)
        return 0
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
