"""The ipvs module's netlink backend against real IPVS in one lab director (`make lab-test`).

Boots bench/topologies/one.yml, copies plugins/module_utils and ipvs_netlink_guest.py into
the director (a tar on SSH stdin, as bench/ipvs_apply_lab.py does) and runs the guest script
as root: netlink and ipvsadm must leave identical live tables for every generated declaration
and transition, the same ipvs_info fact, and a batch failing half-way must leave the table
read at the start. See the guest script for what is generated.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from lvslab import runtime

ROOT = Path(__file__).resolve().parents[2]
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
REMOTE = "/root/lvsnl"
INSTANCE = "lt-nl"


def payload() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        files = [ROOT / "tests" / "lab_live" / "ipvs_netlink_guest.py"]
        files += sorted((ROOT / "plugins" / "module_utils").glob("*.py"))
        for f in files:
            tar.add(str(f), arcname=str(f.relative_to(ROOT)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def director():
    res = subprocess.run([*LABCTL, "up", str(ROOT / "bench" / "topologies" / "one.yml"), "-i", INSTANCE],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    try:
        yield runtime.load_state(INSTANCE)
    finally:
        subprocess.run([*LABCTL, "down", "-i", INSTANCE], capture_output=True, timeout=300, check=False)


def test_netlink_and_ipvsadm_agree_on_the_real_kernel(director):
    def ssh(cmd, data=None, timeout=600):
        return subprocess.run(runtime.ssh_argv(director, "director", cmd), input=data,
                              capture_output=True, timeout=timeout, check=False)

    res = ssh(f"rm -rf {REMOTE} && mkdir -p {REMOTE} && tar -xzf - -C {REMOTE}", payload())
    assert res.returncode == 0, res.stderr
    start = time.monotonic()
    res = ssh(f"modprobe ip_vs && python3 -u {REMOTE}/tests/lab_live/ipvs_netlink_guest.py")
    out = res.stdout.decode(errors="replace")
    assert res.stdout.strip().startswith(b"{"), out + res.stderr.decode(errors="replace")
    report = json.loads(out)
    print("netlink vs ipvsadm in the guest: %d checks, %d transitions, %d services, %d real servers, "
          "schedulers %s, pe sip %s, %.1f s" % (report["checks"], report["transitions"], report["services"],
                                                report["realservers"], ",".join(report["schedulers"]),
                                                report["persistence_engine_sip"], time.monotonic() - start))
    print("the backend's own read took the real servers of %d services from /proc/net/ip_vs in %d reads"
          % (report["services_read_from_proc"], report["reads"]))
    print("the kernel-layout fast path parsed %d of %d non-fwmark service messages"
          % tuple(report["kernel_layout"]))
    print("the declared-table shortcut took %d of %d IPv4 service messages as their service"
          % tuple(report["reference_shortcut"]))
    assert report["mismatches"] == [], json.dumps(report["mismatches"], indent=1)[:20000]
    # The real kernel's messages take the fast path, every one of them.
    assert report["kernel_layout"][0] == report["kernel_layout"][1] > 0, report["kernel_layout"]
    # The kernel writes every IPv4 service's attributes as the shortcut predicts them,
    # whichever backend created it.
    assert report["reference_shortcut"][0] == report["reference_shortcut"][1] > 0, \
        report["reference_shortcut"]
    # The /proc/net/ip_vs path was taken, not only the per-service dumps.
    assert report["services_read_from_proc"] > report["reads"], report["services_read_from_proc"]
    for backend in ("ipvsadm", "netlink"):
        outcome = report["failure"][backend]
        assert outcome["raised"] and outcome["table_as_at_start"], outcome
        assert outcome["restore"] == "restored", outcome
    assert "10.9.9.9" in report["failure"]["netlink"]["msg"]
    assert "ERANGE" in report["failure"]["netlink"]["msg"]
    assert res.returncode == 0
