#!/usr/bin/env python3
"""Run ``bench/ipvs_apply.py --live`` inside a lab VM (real ip_vs + ipvsadm) and print its output.

Boots a one-director topology (bench/topologies/one.yml) as its own instance, copies the
collection's plugins/module_utils and bench/ipvs_apply.py into the VM over SSH (a tar on stdin),
loads ip_vs, runs the benchmark there and tears the instance down again (unless --keep).

With --compare the VM runs ``ipvs_apply.py --compare`` instead: the module on netlink and on
ipvsadm, raw ipvsadm and keepalived, in one table from the same run.

Usage: python3 bench/ipvs_apply_lab.py [--instance bench1] [--keep] [--profile] [--compare]
                                        [-- extra ipvs_apply.py arguments, e.g. --services 2000]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
sys.path.insert(0, str(ROOT / "lab"))

from lvslab import runtime  # noqa: E402

REMOTE = "/root/lvsbench"


def payload() -> bytes:
    """tar of bench/ipvs_apply.py + plugins/module_utils/*.py, in the repo's layout."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        files = [ROOT / "bench" / "ipvs_apply.py"] + sorted((ROOT / "plugins" / "module_utils").glob("*.py"))
        for f in files:
            tar.add(str(f), arcname=str(f.relative_to(ROOT)))
    return buf.getvalue()


def ssh(state: dict, host: str, cmd: str, data: bytes | None = None, stream: bool = False) -> int:
    argv = runtime.ssh_argv(state, host, cmd)
    if stream:
        return subprocess.run(argv, input=data).returncode
    res = subprocess.run(argv, input=data, capture_output=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout.decode(errors="replace") + res.stderr.decode(errors="replace"))
    return res.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instance", default="bench1")
    ap.add_argument("--topology", default=str(ROOT / "bench" / "topologies" / "one.yml"))
    ap.add_argument("--host", default="director")
    ap.add_argument("--keep", action="store_true", help="leave the instance running")
    ap.add_argument("--profile", action="store_true", help="pass --profile to ipvs_apply.py (cProfile of the live path)")
    ap.add_argument("--compare", action="store_true", help="netlink vs ipvsadm vs raw ipvsadm vs keepalived (ipvs_apply.py --compare) instead of --live")
    ap.add_argument("extra", nargs="*", help="more ipvs_apply.py arguments (after --)")
    a = ap.parse_args()

    t = time.monotonic()
    up = subprocess.run(LABCTL + ["up", a.topology, "--instance", a.instance], text=True,
                        stdout=subprocess.PIPE)
    if up.returncode != 0:
        return up.returncode
    print(f"lab instance {a.instance} up ({time.monotonic() - t:.1f} s)", flush=True)
    try:
        state = runtime.load_state(a.instance)
        rc = ssh(state, a.host, f"rm -rf {REMOTE} && mkdir -p {REMOTE} && tar -xzf - -C {REMOTE}", payload())
        if rc:
            return rc
        ssh(state, a.host, "uname -r; python3 --version; ipvsadm --version; nproc", stream=True)
        args = (["--compare"] if a.compare else ["--live"]) + (["--profile"] if a.profile else []) + a.extra
        cmd = f"modprobe ip_vs && cd {REMOTE} && python3 -u bench/ipvs_apply.py {' '.join(args)}"
        print(f"$ {cmd}", flush=True)
        t = time.monotonic()
        rc = ssh(state, a.host, cmd, stream=True)
        print(f"(benchmark wall time in the VM: {time.monotonic() - t:.1f} s, rc={rc})", flush=True)
        return rc
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
