#!/usr/bin/env python3
"""Requests/s through the DR, TUN and NAT VIPs of the lab's default topology, in one run.

Boots `default` as its own instance (unless it is already up), configures IPVS by hand exactly
like molecule/lab_smoke/converge.yml (one ipvsadm -R, one ip -batch, ARP sysctls on the DR real
servers, tunl0 on the TUN ones, DIP + ip_forward on the director, default route via the DIP on
the NAT ones) over plain SSH, then runs a python3 load generator on the client against each VIP
in turn (ab from apache2-utils: C, one new HTTP/1.0 connection per request) and prints per mode:
requests/s, errors, the director's data-plane packets per request (its eth1.. counters around
200 sequential requests: deterministic, unlike rates), the director's CPU use (/proc/stat
sampled on it during the run), the client's CPU use (is the load generator the bottleneck?) and
the IPVS counters (ipvsadm -Ln --stats deltas).

Every guest is a single-CPU UML kernel on the same 2 host cores: read the numbers as a
comparison of the modes in one run, not as LVS performance.

Usage: python3 bench/dataplane.py [--instance benchdp] [--duration 15] [--concurrency 8]
                                  [--rounds 2] [--keep] [--no-config]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
sys.path.insert(0, str(ROOT / "lab"))

from lvslab import runtime  # noqa: E402

MODES = [  # name, url host, port, real servers
    ("DR", "10.0.0.10", 80, ["dr1", "dr2"]),
    ("TUN", "10.0.0.20", 80, ["tun1", "tun2"]),
    ("NAT", "10.0.0.30", 8080, ["nat1", "nat2"]),
]

# Same commands as molecule/lab_smoke/converge.yml, one SSH call per host.
CONFIG = {
    "dr1": "sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 "
           "net.ipv4.conf.eth1.arp_ignore=1 net.ipv4.conf.eth1.arp_announce=2 "
           "&& ip addr replace 10.0.0.10/32 dev lo",
    "tun1": "modprobe ipip && printf 'addr replace 10.0.0.20/32 dev tunl0\\nlink set tunl0 up\\n' "
            "| ip -batch - && sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 "
            "net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2",
    "nat1": "ip route replace default via 192.168.10.1 dev eth1",
    "director": "modprobe -a ip_vs ip_vs_rr ipip && sysctl -qw net.ipv4.ip_forward=1 "
                "&& printf 'addr replace 10.0.0.10/32 dev eth1\\naddr replace 10.0.0.20/32 dev eth1\\n"
                "addr replace 10.0.0.30/32 dev eth1\\naddr replace 192.168.10.1/24 dev eth2\\n' "
                "| ip -batch - && ipvsadm --restore <<'EOF'\n"
                "-C\n"
                "-A -t 10.0.0.10:80 -s rr\n"
                "-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g\n"
                "-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g\n"
                "-A -t 10.0.0.20:80 -s rr\n"
                "-a -t 10.0.0.20:80 -r 10.0.1.21:80 -i\n"
                "-a -t 10.0.0.20:80 -r 10.0.1.22:80 -i\n"
                "-A -t 10.0.0.30:8080 -s rr\n"
                "-a -t 10.0.0.30:8080 -r 192.168.10.31:80 -m\n"
                "-a -t 10.0.0.30:8080 -r 192.168.10.32:80 -m\n"
                "EOF\n",
}
CONFIG["dr2"], CONFIG["tun2"], CONFIG["nat2"] = CONFIG["dr1"], CONFIG["tun1"], CONFIG["nat1"]

# Director data NICs' packet counters (eth0 is management: SSH, not data plane).
COUNTERS = ("for d in /sys/class/net/eth[1-9]*; do echo ${d##*/} $(cat $d/statistics/rx_packets) "
            "$(cat $d/statistics/tx_packets); done")


def ab_result(text: str) -> dict:
    """The numbers of one `ab` run (apache2-utils) that this benchmark reports."""
    r = {"ok": 0, "errors": 0, "rps": 0.0, "mean_latency_ms": None, "seconds": 0.0}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        v = v.strip().split()
        if not v:
            continue
        if k == "Complete requests":
            r["ok"] = int(v[0])
        elif k in ("Failed requests", "Non-2xx responses"):
            r["errors"] += int(v[0])
        elif k == "Requests per second":
            r["rps"] = float(v[0])
        elif k == "Time per request" and r["mean_latency_ms"] is None:
            r["mean_latency_ms"] = float(v[0])
        elif k == "Time taken for tests":
            r["seconds"] = float(v[0])
    r["ok"] -= r["errors"]
    return r


# Runs on the director: /proc/stat cpu line once a second (jiffies), N samples.
SAMPLER = "for i in $(seq {n}); do head -1 /proc/stat; sleep 1; done"


def ssh(state, host, cmd, data=None, check=True) -> str:
    res = subprocess.run(runtime.ssh_argv(state, host, cmd), input=data, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise SystemExit(f"{host}: {cmd[:60]}...: rc={res.returncode} {res.stderr.strip()}")
    return res.stdout


def stats(state) -> dict[str, tuple[int, int, int]]:
    """Per virtual service: (conns, inpkts, outpkts) from ipvsadm -Ln --stats --exact."""
    out, svc = {}, None
    for line in ssh(state, "director", "ipvsadm -Ln --stats --exact").splitlines():
        f = line.split()
        if f and f[0] in ("TCP", "UDP"):
            svc = f[1]
            out[svc] = (int(f[2]), int(f[3]), int(f[4]))
    return out


def configure(state) -> None:
    errors = []

    def run(h):
        try:
            ssh(state, h, CONFIG[h])
        except SystemExit as exc:
            errors.append(str(exc))
    ts = [threading.Thread(target=run, args=(h,)) for h in CONFIG]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise SystemExit("\n".join(errors))


def nic_packets(state) -> int:
    return sum(int(f[1]) + int(f[2]) for f in (ln.split() for ln in ssh(state, "director", COUNTERS).splitlines()))


def packets_per_request(state, vip, port, n=200) -> float:
    """Director data-plane packets (in + out, all data NICs) per request, one connection at a
    time (ab -c 1), so every request is the same TCP exchange: a deterministic count."""
    before = nic_packets(state)
    r = ab_result(ssh(state, "client", f"ab -q -n {n} -c 1 http://{vip}:{port}/"))
    after = nic_packets(state)
    return (after - before) / r["ok"] if r["ok"] else float("nan")


def measure(state, mode, vip, port, conc, warm, dur) -> dict:
    ssh(state, "client", f"ab -q -t {warm} -c {conc} http://{vip}:{port}/ >/dev/null", check=False)  # warm-up
    before = stats(state)
    n = int(dur + 3)
    sampler = subprocess.Popen(runtime.ssh_argv(state, "director", SAMPLER.format(n=n)),
                               stdout=subprocess.PIPE, text=True)
    c0 = ssh(state, "client", "head -1 /proc/stat").split()[1:]
    # -t: run for dur seconds; -n caps the request count high enough never to end it early
    out = ssh(state, "client", f"ab -q -t {dur} -n 10000000 -c {conc} http://{vip}:{port}/", check=False)
    c1 = ssh(state, "client", "head -1 /proc/stat").split()[1:]
    samples, _ = sampler.communicate()
    after = stats(state)
    r = ab_result(out)
    tot = sum(map(int, c1)) - sum(map(int, c0))
    idle = int(c1[3]) + int(c1[4]) - int(c0[3]) - int(c0[4])
    r["client_busy"] = (tot - idle) / tot if tot else None
    rows = [[int(x) for x in ln.split()[1:]] for ln in samples.splitlines() if ln.startswith("cpu ")]
    # the steady part of the load: skip 1 s of ssh start skew, keep dur-2 s
    a, b = 1, min(int(dur) - 1, len(rows) - 1)
    if b > a:
        tot = sum(rows[b]) - sum(rows[a])
        idle = (rows[b][3] + rows[b][4]) - (rows[a][3] + rows[a][4])
        softirq = rows[b][6] - rows[a][6]
        r["director_busy"] = (tot - idle) / tot if tot else None
        r["director_softirq"] = softirq / tot if tot else None
        r["director_cpu_s"] = (tot - idle) / 100.0  # USER_HZ = 100
        r["director_window_s"] = b - a
    key = f"{vip}:{port}"
    if key in before and key in after:
        r["ipvs_conns"] = after[key][0] - before[key][0]
        r["ipvs_inpkts"] = after[key][1] - before[key][1]
        r["ipvs_outpkts"] = after[key][2] - before[key][2]
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="benchdp")
    ap.add_argument("--topology", default="default")
    ap.add_argument("--duration", type=float, default=15.0, help="counted seconds per VIP and round")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2, help="DR, TUN, NAT interleaved this many times")
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--no-config", action="store_true", help="IPVS is configured already")
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()

    t = time.monotonic()
    up = subprocess.run(LABCTL + ["up", a.topology, "--instance", a.instance], stdout=subprocess.PIPE, text=True)
    if up.returncode:
        return up.returncode
    print(f"instance {a.instance} ({a.topology}) up after {time.monotonic() - t:.1f} s", flush=True)
    results: dict[str, list[dict]] = {m[0]: [] for m in MODES}
    try:
        state = runtime.load_state(a.instance)
        if not a.no_config:
            t = time.monotonic()
            configure(state)
            print(f"IPVS configured by hand in {time.monotonic() - t:.1f} s", flush=True)
        print(ssh(state, "director", "ipvsadm -Ln"), flush=True)
        for rnd in range(a.rounds):
            for mode, vip, port, rs in MODES:
                load0 = os.getloadavg()[0]
                r = measure(state, mode, vip, port, a.concurrency, a.warmup, a.duration)
                r["host_load1"] = round(load0, 2)
                if rnd == 0:
                    r["director_packets_per_request"] = packets_per_request(state, vip, port)
                results[mode].append(r)
                print(f"round {rnd + 1} {mode:3s} {vip}:{port}  {r['rps']:7.1f} req/s  errors {r['errors']}"
                      f"  director busy {100 * (r.get('director_busy') or 0):.0f}%"
                      f" (softirq {100 * (r.get('director_softirq') or 0):.0f}%)"
                      f"  client busy {100 * (r['client_busy'] or 0):.0f}%"
                      f"  lat {r['mean_latency_ms'] or 0:.1f} ms  host load1 {load0:.1f}", flush=True)
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], capture_output=True)

    print(f"\nsummary ({a.rounds} x {a.duration:.0f} s per VIP, {a.concurrency} concurrent HTTP/1.0 "
          f"connections, new TCP connection per request, client = ab in a UML guest)")
    print(f"{'mode':4s} {'req/s':>8s} {'errors':>6s} {'dir pkts/req':>12s} {'dir busy':>8s} "
          f"{'softirq':>7s} {'dir CPU ms/req':>14s} {'client busy':>11s} {'conns':>7s} {'in/out pkts':>15s}")
    for mode, vip, port, rs in MODES:
        rr = results[mode]
        if not rr:
            continue
        ok = sum(x["ok"] for x in rr)
        secs = sum(x["seconds"] for x in rr)
        errors = sum(x["errors"] for x in rr)
        ppr = rr[0].get("director_packets_per_request", float("nan"))
        busy = [x["director_busy"] for x in rr if x.get("director_busy") is not None]
        soft = [x["director_softirq"] for x in rr if x.get("director_softirq") is not None]
        dbusy = sum(busy) / len(busy) if busy else 0.0
        rps = ok / secs if secs else 0.0
        ms_per_req = 1000.0 * dbusy / rps if rps else float("nan")
        cbusy = sum(x["client_busy"] or 0 for x in rr) / len(rr)
        conns = sum(x.get("ipvs_conns", 0) for x in rr)
        pk = f"{sum(x.get('ipvs_inpkts', 0) for x in rr)}/{sum(x.get('ipvs_outpkts', 0) for x in rr)}"
        print(f"{mode:4s} {rps:8.1f} {errors:6d} {ppr:12.1f} {100 * dbusy:7.0f}% {100 * (sum(soft) / len(soft) if soft else 0):6.0f}% "
              f"{ms_per_req:14.2f} {100 * cbusy:10.0f}% {conns:7d} {pk:>15s}")
    print("note: NAT replies pass the director (it rewrites them), so its packets per request are about "
          "twice DR's and TUN's, whose replies bypass it (outpkts 0). Every host is a UML guest on the "
          "same 2 host cores: the numbers compare modes in one run, not LVS on real hardware.")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
