"""The lab itself, on real UML hosts: faults (power, links), reboot, isolation, teardown.

Two hosts on one segment are enough for every property here and boot in ~25 s. Each test
polls for the state it waits for; none sleeps a fixed time.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from lvslab import runtime

LABCTL = [sys.executable, str(Path(__file__).resolve().parents[2] / "lab" / "labctl.py")]
TOPO = """
name: pair
segments: {front: 10.0.0.0/24}
hosts:
  a: {memory: 256, nics: {eth1: {segment: front, address: 10.0.0.1}}}
  b: {memory: 256, nics: {eth1: {segment: front, address: 10.0.0.2}}}
"""


def labctl(*args, check=True, timeout=300):
    res = subprocess.run([*LABCTL, *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise AssertionError(f"labctl {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def sh(instance, host, cmd, timeout=60):
    return labctl("ssh", host, "-i", instance, cmd, check=False, timeout=timeout)


def poll(what, fn, timeout=120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fn():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def pings(instance, host, addr):
    return sh(instance, host, f"ping -c1 -W1 {addr}").returncode == 0


@pytest.fixture(scope="module")
def topo(tmp_path_factory):
    p = tmp_path_factory.mktemp("topo") / "pair.yml"
    p.write_text(TOPO)
    return str(p)


@pytest.fixture(scope="module")
def pair(topo):
    labctl("up", topo, "-i", "lt-a")
    yield "lt-a"
    labctl("down", "-i", "lt-a")


def test_cut_and_mend_a_link(pair):
    assert pings(pair, "a", "10.0.0.2")
    labctl("cut", "b", "eth1", "-i", pair)
    assert not pings(pair, "a", "10.0.0.2")
    assert "cut: eth1" in labctl("status", "-i", pair).stdout
    labctl("mend", "b", "eth1", "-i", pair)
    poll("b reachable again", lambda: pings(pair, "a", "10.0.0.2"), 30)
    bad = labctl("cut", "b", "eth0", "-i", pair, check=False)
    assert bad.returncode == 2 and "eth0 is management" in bad.stderr


def test_power_off_and_on_keeps_the_disk(pair):
    assert sh(pair, "b", "echo kept > /root/marker && sync").returncode == 0
    labctl("stop", "b", "-i", pair)
    assert runtime.host_pids(pair, "b") == []
    assert not pings(pair, "a", "10.0.0.2")
    assert "OFF" in labctl("status", "-i", pair).stdout
    assert labctl("stop", "b", "-i", pair, check=False).returncode == 2  # already off
    labctl("start", "b", "-i", pair)
    assert sh(pair, "b", "cat /root/marker").stdout.strip() == "kept"
    assert pings(pair, "a", "10.0.0.2")


def test_in_guest_reboot_keeps_the_network(pair):
    boot_id = sh(pair, "b", "cat /proc/sys/kernel/random/boot_id").stdout.strip()
    sh(pair, "b", "systemctl reboot", timeout=30)

    def rebooted():
        r = sh(pair, "b", "cat /proc/sys/kernel/random/boot_id", timeout=15)
        return r.returncode == 0 and r.stdout.strip() not in ("", boot_id)

    poll("b back with a new boot id", rebooted, 180)
    assert "10.0.0.2/24" in sh(pair, "b", "ip -br addr show eth1").stdout
    assert pings(pair, "b", "10.0.0.1")


def test_two_instances_do_not_interfere(pair, topo):
    labctl("up", topo, "-i", "lt-b")
    try:
        st_a, st_b = runtime.load_state(pair), runtime.load_state("lt-b")
        assert {h["port"] for h in st_a["hosts"].values()}.isdisjoint(h["port"] for h in st_b["hosts"].values())
        # same addresses in both, yet each host only ever sees its own instance's peer
        for inst in (pair, "lt-b"):
            assert pings(inst, "a", "10.0.0.2")
        mac_b = sh("lt-b", "b", "cat /sys/class/net/eth1/address").stdout.strip()
        assert mac_b not in sh(pair, "a", "ip neigh show 10.0.0.2").stdout
        labctl("down", "-i", "lt-b")
        assert runtime.leftovers("lt-b") == []
        assert pings(pair, "a", "10.0.0.2")  # the other instance is untouched
    finally:
        labctl("down", "-i", "lt-b", check=False)


def test_down_leaves_nothing(topo):
    labctl("up", topo, "-i", "lt-c")
    st = runtime.load_state("lt-c")
    pids = [h["pid"] for h in st["hosts"].values()] + [st["forwarder"]]
    labctl("down", "-i", "lt-c")
    assert runtime.leftovers("lt-c") == []
    assert not Path("/run/netns/lvslab-lt-c").exists()
    assert not any(Path(f"/proc/{p}/cmdline").exists() and Path(f"/proc/{p}/cmdline").read_bytes() for p in pids)
    assert all(runtime.ports.port_free(h["port"]) for h in st["hosts"].values())
    assert (runtime.log_dir("lt-c") / "a.console").stat().st_size > 0  # console logs are kept


def test_a_dead_host_fails_up_with_its_console_and_tears_down(topo):
    proc = subprocess.Popen([*LABCTL, "up", topo, "-i", "lt-d"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        poll("host a started", lambda: bool(runtime.host_pids("lt-d", "a")), 60)
        subprocess.run(["kill", "-9", *map(str, runtime.host_pids("lt-d", "a"))], check=False)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert "host a: the UML kernel exited; last console lines" in err
    assert runtime.leftovers("lt-d") == []


def test_sshd_that_never_answers_fails_up(topo):
    res = labctl("up", topo, "-i", "lt-e", "--timeout", "3", check=False)
    assert res.returncode == 2 and "no SSH after 3 s" in res.stderr and "last console lines" in res.stderr
    assert runtime.leftovers("lt-e") == []


def test_bad_topology_boots_nothing(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(TOPO.replace("10.0.0.2", "10.0.1.2").replace("eth1: {segment: front, address: 10.0.0.1}",
                                                                "eth2: {segment: nowhere}"))
    res = labctl("up", str(bad), "-i", "lt-f", check=False)
    assert res.returncode == 2
    assert "unknown segment 'nowhere'" in res.stderr and "not in segment 'front'" in res.stderr
    assert runtime.leftovers("lt-f") == []
