#!/usr/bin/env python3
"""Director HA benchmark: failover gaps, connection survival and real-server eviction times.

Boots the lab topology ``ha`` (client, directors lb1 and lb2, dr1, dr2, nat1) as its own
instance unless ``--instance`` names one that is up, converges it with ``playbooks/site.yml``
and the ``molecule/ha`` inventory (VRRP group ``edge``: advert_int 1, preempt false, sync on;
``web-dr`` health-checked over HTTP through the forwarding path, interval 2, timeout 1,
retries 1), then measures, each over ``--reps`` repetitions (default 10), p50 and max:

1. failover gap on a hard power-off of the master (``labctl stop``, SIGKILL): the longest time
   without a successful answer seen by a client opening a new connection every 50 ms, one
   after another (a SYN lost in the switch-over costs it TCP's 1 s retransmit), and by an
   open-loop client that opens one every 50 ms without waiting (how long no new connection got
   through);
2. the same on a graceful ``systemctl stop keepalived`` of the master;
3. the share of 50 established connections (half-sent requests) that complete on the new
   master after a graceful failover, with ``sync: true`` (once the backup lists them: the
   kernel flushes a part-filled sync buffer every 2 s) and with ``sync: false``;
4. the time from a real server's death (HTTP service stopped; VIP removed from its loopback)
   until it leaves rotation on the master, and the failed requests meanwhile;
5. with ``--subsecond``: the hard power-off gap at ``advert_int: 0.3`` (VRRPv3).

Targets (issue 10): hard power-off <= 4 s at advert_int 1 and <= 1.5 s sub-second; graceful
<= 1 s; >= 95 % of connections survive with sync; eviction within interval x (retries + 1) +
timeout = 5 s.  All hosts are UML guests on the same 2 cores: compare runs on this machine.

Usage: python3 bench/ha.py [--instance NAME] [--keep] [--reps N] [--subsecond] [--parts failover,survival,eviction,nosync]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

# The lab's Ansible settings, as bench/converge.py (and the Molecule base config) use them.
from converge import ENV  # noqa: E402 - bench/ is the script's own directory on sys.path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
INVENTORY = ROOT / "molecule" / "ha" / "inventory"
TOOL = ROOT / "tests" / "tools" / "lvs_load.py"
GROUP = {"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "advert_int": 1,
         "preempt": False, "sync": True}
BOUND_EVICT = 2 * (1 + 1) + 1


class Lab:
    def __init__(self, instance: str) -> None:
        self.instance = instance
        self.inventory = ""

    def ctl(self, *args: str) -> str:
        return subprocess.run(LABCTL + list(args) + ["--instance", self.instance], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=True).stdout

    def sh(self, host: str, *argv: str, check: bool = True) -> str:
        proc = subprocess.run(LABCTL + ["ssh", host, "--instance", self.instance, "--", *argv],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{host}: {' '.join(argv)}: rc={proc.returncode} {proc.stderr.strip()}")
        return proc.stdout

    def tool(self, host: str, *argv: str, check: bool = True) -> dict:
        # Quoted: labctl ssh hands its words to ssh, whose remote shell splits them again.
        out = self.sh(host, "python3", "/usr/local/bin/lvs_load.py", *[shlex.quote(arg) for arg in argv], check=check)
        return json.loads(out.strip().splitlines()[-1])

    def site(self, group: dict, log: Path) -> None:
        argv = [str(BIN / "ansible-playbook"), "-i", self.inventory, "-i", str(INVENTORY),
                str(ROOT / "playbooks" / "site.yml"), "-e", json.dumps({"lvs_director_groups": [group]})]
        with open(log, "w") as out:
            rc = subprocess.run(argv, env={**os.environ, **ENV}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).returncode
        if rc != 0:
            raise RuntimeError(f"site.yml failed (rc={rc}), see {log}")

    def master(self) -> tuple[str, str]:
        for lb, other in (("lb1", "lb2"), ("lb2", "lb1")):
            if self.tool(lb, "wait-addr", "10.0.0.10", "--timeout", "0", check=False)["ok"]:
                return lb, other
        raise RuntimeError("no director holds 10.0.0.10")

    def start_load(self, open_loop: bool = False) -> None:
        """A client sending a request every 50 ms, one after another (/tmp/b.load); with
        ``open_loop`` also a second one that does not wait for answers (/tmp/b.open)."""
        self.sh("client", "rm", "-f", "/tmp/b.stop", "/tmp/b.load", "/tmp/b.open")
        loads = [("/tmp/b.load", "")] + ([("/tmp/b.open", " --open")] if open_loop else [])
        for path, flag in loads:
            # One word: labctl ssh hands its words to ssh, whose remote shell parses them again.
            self.sh("client", "nohup python3 /usr/local/bin/lvs_load.py load http://10.0.0.10/ --stop /tmp/b.stop "
                    f"--interval 0.05 --max 120{flag} > {path} 2>&1 < /dev/null &")

    def report(self, path: str, tries: int = 100) -> dict:
        """The JSON line lvs_load.py wrote to ``path`` on the client, polled until it is there (the
        file also holds nohup's own message)."""
        for _ in range(tries):
            lines = [line for line in self.sh("client", "cat", path, check=False).splitlines() if line.startswith("{")]
            if lines:
                return json.loads(lines[-1])
            time.sleep(0.1)
        raise RuntimeError(f"client: {path} holds no report")

    def stop_load(self) -> dict:
        self.sh("client", "touch", "/tmp/b.stop")
        return self.report("/tmp/b.load")

    def clock(self, host: str) -> str:
        return self.sh(host, "date", "+%s").strip()

    def wait_backup_state(self, host: str, since: str | None = None) -> None:
        """Until keepalived on ``host`` has entered BACKUP in this boot, or after ``since`` (the
        guest's clock, for a keepalived restarted without a reboot)."""
        when = ["-b"] if since is None else ["--since", f"@{since}"]
        for _ in range(300):
            if "Entering BACKUP STATE" in self.sh(host, "journalctl", *when, "-u", "keepalived", "-o", "cat", check=False):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{host}: keepalived never entered BACKUP")


def stats(values: list[float]) -> str:
    return f"p50 {statistics.median(values):6.2f}  min {min(values):6.2f}  max {max(values):6.2f}  (n={len(values)})"


def failover_gaps(lab: Lab, reps: int, how: str) -> tuple[list[float], list[float]]:
    """The longest gap without an answer while the master fails over, seen by a client sending
    one request after another and by an open-loop client: ``hard`` powers the master off
    (labctl stop, then start), ``graceful`` stops keepalived on it (then starts it again)."""
    gaps, open_gaps = [], []
    for _ in range(reps):
        master, backup = lab.master()
        lab.start_load(open_loop=True)
        time.sleep(1)
        if how == "hard":
            lab.ctl("stop", master)
        else:
            lab.sh(master, "systemctl", "stop", "keepalived")
        lab.tool(backup, "wait-addr", "10.0.0.10", "--timeout", "20")
        time.sleep(1)
        gaps.append(lab.stop_load()["longest_gap"])
        open_gaps.append(lab.report("/tmp/b.open")["longest_gap"])
        if how == "hard":
            lab.ctl("start", master)
            since = None
        else:
            since = lab.clock(master)
            lab.sh(master, "systemctl", "start", "keepalived")
        lab.wait_backup_state(master, since)
    return gaps, open_gaps


def survival(lab: Lab, reps: int, synced: bool) -> list[float]:
    """Share of 50 held connections that finish on the new master after a graceful failover.
    With sync, the failover waits until the backup lists them: the kernel's sync daemon sends a
    part-filled buffer only every 2 s (IPVS_SYNC_FLUSH_TIME), so younger connections can be lost."""
    shares = []
    for _ in range(reps):
        master, backup = lab.master()
        lab.sh("client", "rm", "-f", "/tmp/b.rel", "/tmp/b.hold")
        lab.sh("client", "nohup python3 /usr/local/bin/lvs_load.py hold 10.0.0.10 80 50 --release /tmp/b.rel "
               "--max 120 > /tmp/b.hold 2>&1 < /dev/null &")
        # Established and past sync_threshold on the master before the failover.
        for _ in range(100):
            if lab.sh(master, "ipvsadm", "-Lnc").count("ESTABLISHED") >= 50:
                break
            time.sleep(0.1)
        for _ in range(100 if synced else 0):
            if lab.sh(backup, "ipvsadm", "-Lnc").count("ESTABLISHED") >= 50:
                break
            time.sleep(0.1)
        lab.sh(master, "systemctl", "stop", "keepalived")
        lab.tool(backup, "wait-addr", "10.0.0.10", "--timeout", "20")
        lab.sh("client", "touch", "/tmp/b.rel")
        shares.append(lab.report("/tmp/b.hold", 200)["percent"])
        since = lab.clock(master)
        lab.sh(master, "systemctl", "start", "keepalived")
        lab.wait_backup_state(master, since)
    return shares


def eviction(lab: Lab, reps: int, how: str) -> tuple[list[float], list[int]]:
    times, failed = [], []
    stop = {"service": ["systemctl", "stop", "lab-httpd"], "vip": ["ip", "addr", "del", "10.0.0.10/32", "dev", "lo"]}[how]
    start = {"service": ["systemctl", "start", "lab-httpd"], "vip": ["ip", "addr", "add", "10.0.0.10/32", "dev", "lo"]}[how]
    for _ in range(reps):
        master, _backup = lab.master()
        lab.start_load()
        time.sleep(0.5)
        dead = lab.tool("dr1", "stamp", "--", *stop)
        gone = lab.tool(master, "wait-rs", "-t 10.0.0.10:80", "10.0.0.11:80", "--absent", "--timeout", "30")
        times.append(gone["epoch"] - dead["epoch"])
        time.sleep(0.5)
        failed.append(lab.stop_load()["failed"])
        lab.sh("dr1", *start)
        lab.tool(master, "wait-rs", "-t 10.0.0.10:80", "10.0.0.11:80", "--timeout", "30")
    return times, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="bench-ha")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--subsecond", action="store_true", help="also measure a hard power-off at advert_int 0.3")
    ap.add_argument("--parts", default="failover,survival,eviction,nosync",
                    help="comma-separated subset of failover,survival,eviction,nosync (default: all)")
    a = ap.parse_args()
    parts = set(a.parts.split(","))
    logs = ROOT / ".tmp" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    lab = Lab(a.instance)
    up = subprocess.run(LABCTL + ["up", "ha", "--instance", a.instance], stdout=subprocess.PIPE, text=True)
    if up.returncode != 0:
        return up.returncode
    lab.inventory = subprocess.run(LABCTL + ["inventory", "--instance", a.instance], stdout=subprocess.PIPE,
                                   text=True, check=True).stdout.strip()
    try:
        lab.site(GROUP, logs / "ha-site.log")
        for host in ("client", "lb1", "lb2", "dr1"):
            # sync: the hard power-off below loses what the guest has not written back yet.
            subprocess.run(LABCTL + ["ssh", host, "--instance", a.instance, "--", "cat > /usr/local/bin/lvs_load.py && sync"],
                           input=TOOL.read_text(), text=True, check=True)
        print(f"lab {a.instance}: converged; {a.reps} repetitions each\n", flush=True)
        if "failover" in parts:
            hard, hard_open = failover_gaps(lab, a.reps, "hard")
            print(f"hard power-off failover gap (s), advert_int 1:  {stats(hard)}   target <= 4", flush=True)
            print(f"  the same, open-loop client (s):               {stats(hard_open)}", flush=True)
            soft, soft_open = failover_gaps(lab, a.reps, "graceful")
            print(f"graceful keepalived stop gap (s):              {stats(soft)}   target <= 1", flush=True)
            print(f"  the same, open-loop client (s):               {stats(soft_open)}", flush=True)
        if "survival" in parts:
            kept = survival(lab, a.reps, synced=True)
            print(f"held connections surviving, sync on (%):       {stats(kept)}   target >= 95", flush=True)
        if "eviction" in parts:
            svc_times, svc_failed = eviction(lab, a.reps, "service")
            print(f"dead real server (service stopped) out in (s): {stats(svc_times)}   target <= {BOUND_EVICT}; "
                  f"failed requests p50 {statistics.median(svc_failed)} max {max(svc_failed)}", flush=True)
            vip_times, vip_failed = eviction(lab, a.reps, "vip")
            print(f"black-holed real server (VIP removed) out (s): {stats(vip_times)}   target <= {BOUND_EVICT}; "
                  f"failed requests p50 {statistics.median(vip_failed)} max {max(vip_failed)}", flush=True)
        if "nosync" in parts:
            lab.site(dict(GROUP, sync=False), logs / "ha-site-nosync.log")
            lost = survival(lab, a.reps, synced=False)
            print(f"held connections surviving, sync off (%):      {stats(lost)}", flush=True)
        if a.subsecond:
            lab.site(dict(GROUP, advert_int=0.3), logs / "ha-site-fast.log")
            fast, fast_open = failover_gaps(lab, a.reps, "hard")
            print(f"hard power-off failover gap (s), advert 0.3:   {stats(fast)}   target <= 1.5", flush=True)
            print(f"  the same, open-loop client (s):               {stats(fast_open)}", flush=True)
        return 0
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
