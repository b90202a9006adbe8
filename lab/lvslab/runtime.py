"""Boot, tear down and inspect lab instances (the side-effecting half of the lab).

Layout of one instance (runtime root: LVS_LAB_RUN, default /tmp/lvs-lab):
  <root>/<instance>/state.json          what was started (pids, ports, image, topology)
  <root>/<instance>/inventory.yml       Ansible inventory (connection vars + topology groups)
  <root>/<instance>/instance_config.json  Molecule instance config (default driver)
  <root>/<instance>/known_hosts         throwaway: all hosts share the image's host keys
  <root>/<instance>/hosts/<host>.qcow2  copy-on-write overlay over the cached base image
  <root>/<instance>/vde/<segment>/      vde_switch control directory of one L2 segment
  <root>/logs/<instance>/<host>.console serial console of each host (kept after `down`)

Every process the lab starts has the instance directory in its command line (qemu -pidfile,
vde_switch -s); `down` stops exactly those, by pid, and removes the directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import yaml

from . import image, paths, ports, render, topology

INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
HOST_TOOLS = ["qemu-system-x86_64", "qemu-img", "vde_switch", "ssh"]
DEFAULT_TIMEOUT = 420  # s until every sshd must answer (9 hosts on 2 cores: ~2-3 min)


class LabError(RuntimeError):
    pass


# --- small helpers ---------------------------------------------------------------------------

def check_instance_name(name: str) -> str:
    if not INSTANCE_RE.match(name):
        raise LabError(f"instance name {name!r} must match {INSTANCE_RE.pattern}")
    return name


def run_dir(instance: str) -> Path:
    return paths.run_root() / instance


def log_dir(instance: str) -> Path:
    return paths.run_root() / "logs" / instance


def load_state(instance: str) -> dict | None:
    try:
        return json.loads((run_dir(instance) / "state.json").read_text())
    except (OSError, ValueError):
        return None


def save_state(instance: str, state: dict) -> None:
    p = run_dir(instance) / "state.json"
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.rename(p)


def instances() -> list[str]:
    root = paths.run_root()
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and d.name != "logs" and INSTANCE_RE.match(d.name))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def owned_pids(instance: str) -> list[int]:
    """Pids of processes whose command line mentions this instance's run directory.

    That directory appears in every qemu (-pidfile/-drive) and vde_switch (-s) the lab starts
    for the instance and in nothing else, so this never matches another instance or anything
    that is not ours.
    """
    marker = (str(run_dir(instance)) + "/").encode()
    me = os.getpid()
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != me and marker in _cmdline(int(d.name)):
            out.append(int(d.name))
    return sorted(out)


def _alive(pid: int | None, instance: str) -> bool:
    return bool(pid) and (str(run_dir(instance)) + "/").encode() in _cmdline(pid)


def _read_pid(p: Path) -> int | None:
    try:
        return int(p.read_text().strip())
    except (OSError, ValueError):
        return None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def console_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_bytes()[-16384:].decode(errors="replace")
    except OSError:
        return "(no console log)"
    if not text.strip():
        return "(console empty: the kernel had not printed anything yet)"
    return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def ssh_banner(port: int, timeout: float = 3.0) -> bool:
    """True once sshd in the guest answers. qemu's hostfwd accepts the TCP connection itself
    even while the guest is still booting, so only the banner proves sshd is there."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def ssh_argv(state: dict, host: str, *cmd: str) -> list[str]:
    rd = run_dir(state["instance"])
    return ["ssh", "-q", "-i", state["key"], "-p", str(state["hosts"][host]["port"]),
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no",
            "-o", f"UserKnownHostsFile={rd / 'known_hosts'}", "-o", "LogLevel=ERROR",
            "root@127.0.0.1", *cmd]


def _tools_missing() -> list[str]:
    return [t for t in HOST_TOOLS if not shutil.which(t)]


# --- up --------------------------------------------------------------------------------------

def prepare(topo_path: Path, instance: str, base_port: int | None) -> tuple[topology.Topology, dict[str, int]]:
    """Every check that can fail without starting anything: topology, tools, ports."""
    check_instance_name(instance)
    topo = topology.load(topo_path)
    missing = _tools_missing()
    if missing:
        raise LabError(f"missing host tools {missing}: apt-get install $(cat lab/host-packages.txt)")
    reserved: set[int] = set()
    for other in instances():
        if other == instance:
            continue
        st = load_state(other)
        if st and any(_alive(h.get("pid"), other) for h in st.get("hosts", {}).values()):
            reserved.update(h["port"] for h in st["hosts"].values())
    try:
        assigned = ports.allocate(instance, list(topo.hosts), reserved=reserved, base=base_port)
    except ports.PortError as exc:
        raise LabError(str(exc))
    return topo, assigned


def _running_same(instance: str, topo: topology.Topology) -> dict | None:
    st = load_state(instance)
    if not st or st.get("phase") != "ready":
        return None
    if not all(_alive(h.get("pid"), instance) for h in st["hosts"].values()):
        return None
    if st["topology"] != topo.name or sorted(st["hosts"]) != sorted(topo.hosts):
        raise LabError(f"instance {instance!r} already runs topology {st['topology']!r}; "
                       f"run `labctl down --instance {instance}` first")
    return st


def up(topo_path: Path, instance: str = "default", *, base_port: int | None = None,
       timeout: float = DEFAULT_TIMEOUT, log=print) -> Path:
    """Boot the topology, wait for every sshd, write the inventories; return inventory path.

    Idempotent: an instance already running the same topology is only re-checked.
    On any failure everything already started is torn down again.
    """
    topo = topology.load(topo_path)  # parse first: a bad topology must fail before all else
    st = _running_same(check_instance_name(instance), topo)
    if st:
        bad = [h for h, v in st["hosts"].items() if not ssh_banner(v["port"])]
        if not bad:
            log(f"[lab] instance {instance} already up ({topo.name})")
            return run_dir(instance) / "inventory.yml"
        log(f"[lab] instance {instance}: {bad} do not answer, restarting it")
    if load_state(instance) or run_dir(instance).exists():
        down(instance, log=log)  # stale/partial leftovers of an earlier run
    topo, assigned = prepare(topo_path, instance, base_port)
    img = image.build(quiet=True)
    key = img / "id_ed25519"

    rd = run_dir(instance)
    logs = log_dir(instance)
    (rd / "hosts").mkdir(parents=True)
    (rd / "vde").mkdir()
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    (rd / "known_hosts").touch()
    state = {
        "instance": instance, "topology": topo.name, "topology_file": str(Path(topo_path).resolve()),
        "image": str(img), "key": str(key), "phase": "starting", "started_at": time.time(),
        "hosts": {h: {"port": p, "pid": None} for h, p in assigned.items()}, "switches": {},
    }
    save_state(instance, state)
    t0 = time.monotonic()
    try:
        for seg in topo.segments:
            sock = rd / "vde" / seg
            pidf = rd / "vde" / f"{seg}.pid"
            _run(["vde_switch", "-d", "-s", str(sock), "-p", str(pidf)], f"vde_switch {seg}")
            state["switches"][seg] = _wait_pidfile(pidf)
        save_state(instance, state)
        for h in topo.hosts.values():
            ov = rd / "hosts" / f"{h.name}.qcow2"
            _run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", str(img / "base.img"), str(ov)],
                 f"overlay {h.name}")
            pidf = rd / "hosts" / f"{h.name}.pid"
            argv = render.qemu_argv(instance=instance, host=h, image=img, overlay=ov,
                                    console=logs / f"{h.name}.console", pidfile=pidf,
                                    port=assigned[h.name], vde_dir=rd / "vde")
            _run(argv, f"qemu {h.name}")
            state["hosts"][h.name]["pid"] = _wait_pidfile(pidf)
            state["hosts"][h.name]["mac0"] = render.mac(instance, h.index, 0)
            save_state(instance, state)
        log(f"[lab] {instance}: {len(topo.hosts)} hosts started in {time.monotonic() - t0:.1f} s, "
            f"waiting for sshd (timeout {timeout:.0f} s)")
        ready = _wait_all(state, timeout, t0, log)
    except BaseException as exc:  # includes KeyboardInterrupt: never leave VMs behind
        log(f"[lab] {instance}: launch failed, tearing down")
        down(instance, log=log)
        if isinstance(exc, LabError):
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LabError(f"launch failed: {exc}") from exc

    for h, secs in ready.items():
        state["hosts"][h]["ssh_ready_s"] = round(secs, 1)
    state["phase"] = "ready"
    state["ready_s"] = round(time.monotonic() - t0, 1)
    inv = render.inventory(topo, instance=instance, ports=assigned, key=key, run_dir=rd)
    (rd / "inventory.yml").write_text("# generated by lab/labctl.py; do not edit\n" +
                                      yaml.safe_dump(inv, sort_keys=False, default_flow_style=False))
    (rd / "instance_config.json").write_text(
        json.dumps(render.instance_config(topo, ports=assigned, key=key), indent=2) + "\n")
    save_state(instance, state)
    log(f"[lab] {instance}: all {len(topo.hosts)} hosts answer SSH after {state['ready_s']} s")
    return rd / "inventory.yml"


def _run(argv: list[str], what: str) -> None:
    res = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise LabError(f"{what} failed ({res.returncode}): {(res.stderr or res.stdout).strip()}")


def _wait_pidfile(p: Path, timeout: float = 10) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pid = _read_pid(p)
        if pid:
            return pid
        time.sleep(0.05)
    raise LabError(f"{p} was not written")


def _wait_all(state: dict, timeout: float, t0: float, log) -> dict[str, float]:
    """Wait until every host accepts a key login; fail fast if a qemu dies."""
    instance = state["instance"]
    ready: dict[str, float] = {}
    failed: dict[str, str] = {}
    lock = threading.Lock()
    deadline = t0 + timeout

    def wait_one(host: str):
        h = state["hosts"][host]
        while time.monotonic() < deadline and not failed:
            if not _alive(h["pid"], instance):
                with lock:
                    failed[host] = "qemu exited"
                return
            if ssh_banner(h["port"]):
                res = subprocess.run(ssh_argv(state, host, "true"), capture_output=True,
                                     stdin=subprocess.DEVNULL, timeout=30)
                if res.returncode == 0:
                    with lock:
                        ready[host] = time.monotonic() - t0
                    log(f"[lab]   {host:10s} ssh ok after {ready[host]:5.1f} s (port {h['port']})")
                    return
            time.sleep(1)
        with lock:
            failed.setdefault(host, f"no SSH after {timeout:.0f} s")

    threads = [threading.Thread(target=wait_one, args=(h,), daemon=True) for h in state["hosts"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        parts = []
        for host, why in failed.items():
            if host in ready:
                continue
            con = log_dir(instance) / f"{host}.console"
            parts.append(f"host {host}: {why}; last console lines ({con}):\n{console_tail(con)}")
        raise LabError("\n\n".join(parts) or "launch aborted")
    return ready


# --- down / status ---------------------------------------------------------------------------

def down(instance: str = "default", *, log=print) -> bool:
    """Stop every process of the instance and remove its runtime dir. Console logs stay."""
    check_instance_name(instance)
    rd = run_dir(instance)
    st = load_state(instance) or {}
    pids = set(owned_pids(instance))
    for v in st.get("hosts", {}).values():
        if _alive(v.get("pid"), instance):
            pids.add(v["pid"])
    for pid in st.get("switches", {}).values():
        if _alive(pid, instance):
            pids.add(pid)
    if not pids and not rd.exists():
        log(f"[lab] instance {instance} is not running")
        return False
    # qemu first (it holds the vde ports), then the switches; SIGTERM, then SIGKILL.
    qemus = [p for p in pids if b"qemu" in _cmdline(p).split(b"\0")[0]]
    others = [p for p in pids if p not in qemus]
    for group in (qemus, others):
        _kill(group, instance)
    shutil.rmtree(rd, ignore_errors=True)
    left = owned_pids(instance)
    if left:
        raise LabError(f"instance {instance}: processes survived teardown: {left}")
    log(f"[lab] instance {instance} down ({len(pids)} processes stopped; console logs in {log_dir(instance)})")
    return True


def _kill(pids: list[int], instance: str, grace: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        live = [p for p in pids if _alive(p, instance)]
        for p in live:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + grace
        while time.monotonic() < end and any(_alive(p, instance) for p in live):
            time.sleep(0.1)


def status(instance: str | None = None) -> list[dict]:
    """One dict per instance: topology, phase and per-host pid/port/RSS/ssh state."""
    out = []
    for inst in ([instance] if instance else instances()):
        st = load_state(inst)
        if not st:
            out.append({"instance": inst, "phase": "broken (no state.json)", "hosts": {}, "switches": {}})
            continue
        hosts = {}
        for name, v in st["hosts"].items():
            alive = _alive(v.get("pid"), inst)
            hosts[name] = {
                "port": v["port"], "pid": v.get("pid"), "alive": alive,
                "rss_mib": round((rss_kib(v["pid"]) or 0) / 1024) if alive else None,
                "ssh": ssh_banner(v["port"], timeout=1.0) if alive else False,
            }
        switches = {s: _alive(p, inst) for s, p in st.get("switches", {}).items()}
        out.append({"instance": inst, "topology": st["topology"], "phase": st["phase"],
                    "ready_s": st.get("ready_s"), "inventory": str(run_dir(inst) / "inventory.yml"),
                    "hosts": hosts, "switches": switches})
    return out
