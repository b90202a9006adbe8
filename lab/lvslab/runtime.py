"""Boot, tear down and inspect lab instances (the side-effecting half of the lab).

Every host is a User-Mode Linux kernel (kernel.py: Debian's user-mode-linux from testing)
booting the cached image. Layout of one instance (runtime root: LVS_LAB_RUN, default /tmp/lvs-lab):
  <root>/<instance>/state.json          what was started (pids, ports, image, topology)
  <root>/<instance>/inventory.yml       Ansible inventory (connection vars + topology groups)
  <root>/<instance>/instance_config.json  Molecule instance config (default driver)
  <root>/<instance>/known_hosts         throwaway: all hosts share the image's host keys
  <root>/<instance>/hosts/<host>.cow    UML copy-on-write file over the cached base image
  <root>/<instance>/uml/                UML's per-host runtime dirs (umid, mconsole socket)
  <root>/logs/<instance>/<host>.console console of each host (kept after `down`, appended
                                        across reboots and power cycles)
  /dev/shm/lvs-lab-<instance>/          TMPDIR of the UML kernels: their RAM is a deleted
                                        file here (tmpfs), so it never touches the disk
  network namespace lvslab-<instance>   one bridge per segment + the management bridge, one
                                        tap per NIC; nothing of it is in the root namespace

Every process the lab starts has the instance directory in its command line (the UML kernels'
ubd0=/uml_dir=, the SSH forwarder's first argument); `down` stops exactly those, by pid, then
deletes the namespace (taps and bridges go with it), the tmpfs directory and the run directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from . import image, kernel, paths, ports, render, topology

INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
HOST_TOOLS = ["ip", "ssh"]
DEFAULT_TIMEOUT = 300  # s until every sshd must answer (9 UML hosts on 2 cores: ~40 s)
SHM_ROOT = Path("/dev/shm")
FORWARDER = Path(__file__).resolve().parent / "forward.py"


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


def shm_dir(instance: str) -> Path:
    return SHM_ROOT / f"lvs-lab-{instance}"


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

    That directory appears in every UML kernel (ubd0=, uml_dir=) and the SSH forwarder the lab
    starts for the instance and in nothing else, so this never matches another instance or anything
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


def _exited(pid: int | None) -> bool:
    """The process is gone or a zombie. Not `not _alive()`: right after the spawn its command
    line can read empty (`ip netns exec` is still exec'ing the kernel), which made a power-on
    report "the UML kernel exited" 0.1 s in while the guest went on booting."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError, TypeError):
        return True


def console_tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_bytes()[-16384:].decode(errors="replace")
    except OSError:
        return "(no console log)"
    if not text.strip():
        return "(console empty: the kernel had not printed anything yet)"
    return "\n".join(text.replace("\r", "").splitlines()[-lines:])


def ssh_banner(port: int, timeout: float = 3.0) -> bool:
    """True once sshd in the guest answers. The forwarder accepts the TCP connection itself
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


def netns_exists(instance: str) -> bool:
    return Path("/run/netns", render.netns(instance)).exists()


def memory_kib(pid: int) -> int | None:
    """Host memory a UML guest really uses: the allocated blocks of its RAM file.

    UML's RAM is a deleted file in TMPDIR (tmpfs): it shows as Shmem, not as the process's
    RSS, and pages the guest frees are not given back, so it grows towards mem= over time.
    """
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            target = os.readlink(fd)
            if target.startswith(str(SHM_ROOT)) and target.endswith("(deleted)"):
                return os.stat(fd).st_blocks // 2
    except OSError:
        pass
    return None


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
    if load_state(instance) or leftovers(instance):
        down(instance, log=log)  # stale/partial leftovers of an earlier run
    topo, assigned = prepare(topo_path, instance, base_port)
    img = image.build(quiet=True)
    key = img / "id_ed25519"

    rd = run_dir(instance)
    logs = log_dir(instance)
    (rd / "hosts").mkdir(parents=True)
    (rd / "uml").mkdir()
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    (rd / "known_hosts").touch()
    state = {
        "instance": instance, "topology": topo.name, "topology_file": str(Path(topo_path).resolve()),
        "image": str(img), "kernel": str(kernel.require().binary), "key": str(key), "phase": "starting",
        "started_at": time.time(),
        "netns": render.netns(instance), "forwarder": None,
        "hosts": {h: {"port": p, "pid": None, "mgmt": render.mgmt_address(topo.hosts[h])}
                  for h, p in assigned.items()},
    }
    save_state(instance, state)
    t0 = time.monotonic()
    try:
        _make_netns(instance, topo)
        for h in topo.hosts.values():
            state["hosts"][h.name]["pid"] = _boot(state, topo, h)
            state["hosts"][h.name]["mac0"] = render.mac(instance, h.index, 0)
            save_state(instance, state)
        state["forwarder"] = _start_forwarder(state)
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


def _run(argv: list[str], what: str, stdin: str | None = None) -> None:
    res = subprocess.run(argv, capture_output=True, text=True, input=stdin,
                         stdin=None if stdin is not None else subprocess.DEVNULL)
    if res.returncode != 0:
        raise LabError(f"{what} failed ({res.returncode}): {(res.stderr or res.stdout).strip()}")


def _make_netns(instance: str, topo: topology.Topology) -> None:
    ns = render.netns(instance)
    _run(["ip", "netns", "add", ns], f"ip netns add {ns}")
    _run(["ip", "-n", ns, "-batch", "-"], f"network of {ns}", stdin="\n".join(render.net_plan(topo)) + "\n")


def _boot(state: dict, topo: topology.Topology, host: topology.Host) -> int:
    """Start one UML kernel (inside the instance's namespace); return its pid.

    The copy-on-write file is kept across stop/start, like a disk across a power cycle; it
    is created by UML on first boot. The console log is appended to, never truncated.
    """
    instance = state["instance"]
    rd = run_dir(instance)
    shm = shm_dir(instance)
    shm.mkdir(mode=0o700, exist_ok=True)
    argv = render.uml_argv(instance=instance, host=host, topo=topo, image=Path(state["image"]),
                           cow=rd / "hosts" / f"{host.name}.cow", uml_dir=rd / "uml",
                           kernel=state["kernel"])
    with open(log_dir(instance) / f"{host.name}.console", "ab") as con:
        proc = subprocess.Popen(["ip", "netns", "exec", render.netns(instance), *argv],
                                stdin=subprocess.DEVNULL, stdout=con, stderr=subprocess.STDOUT,
                                env={**os.environ, "TMPDIR": str(shm)}, start_new_session=True)
    # `ip netns exec` execs the kernel in place: the pid is the UML kernel's own
    return proc.pid


def _start_forwarder(state: dict) -> int:
    instance = state["instance"]
    rd = run_dir(instance)
    targets = [f"{h['port']}={h['mgmt']}" for h in state["hosts"].values()]
    with open(log_dir(instance) / "forwarder.log", "ab") as out:
        proc = subprocess.Popen([sys.executable, str(FORWARDER), str(rd) + "/", state["netns"], *targets],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LabError(f"SSH forwarder exited ({proc.returncode}): "
                           f"{console_tail(log_dir(instance) / 'forwarder.log', 5)}")
        if all(not ports.port_free(h["port"]) for h in state["hosts"].values()):
            return proc.pid
        time.sleep(0.05)
    raise LabError("SSH forwarder did not listen within 10 s")


def _wait_all(state: dict, timeout: float, t0: float, log) -> dict[str, float]:
    """Wait until every host accepts a key login; fail fast if a UML kernel dies."""
    instance = state["instance"]
    ready: dict[str, float] = {}
    failed: dict[str, str] = {}
    lock = threading.Lock()
    deadline = t0 + timeout

    def wait_one(host: str):
        h = state["hosts"][host]
        while time.monotonic() < deadline and not failed:
            if _exited(h["pid"]):
                with lock:
                    failed[host] = "the UML kernel exited"
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
    """Stop every process of the instance, delete its namespace, tmpfs and runtime dir.

    Console logs stay. Raises LabError if anything of the instance survives.
    """
    check_instance_name(instance)
    rd = run_dir(instance)
    st = load_state(instance) or {}
    pids = set(owned_pids(instance))
    for v in st.get("hosts", {}).values():
        if _alive(v.get("pid"), instance):
            pids.add(v["pid"])
    if not pids and not rd.exists() and not netns_exists(instance) and not shm_dir(instance).exists():
        log(f"[lab] instance {instance} is not running")
        return False
    # No guest shutdown: the disks are throwaway. SIGKILL at once (like pulling the plug):
    # SIGTERM makes UML try an orderly halt that can take seconds per host.
    _kill(sorted(pids), instance, sigs=(signal.SIGKILL,))
    if netns_exists(instance):
        _run(["ip", "netns", "del", render.netns(instance)], "ip netns del")
    shutil.rmtree(shm_dir(instance), ignore_errors=True)
    shutil.rmtree(rd, ignore_errors=True)
    left = leftovers(instance)
    if left:
        raise LabError(f"instance {instance}: left behind after teardown: {left}")
    log(f"[lab] instance {instance} down ({len(pids)} processes stopped; console logs in {log_dir(instance)})")
    return True


def leftovers(instance: str) -> list[str]:
    """What of an instance still exists on the host (empty after a clean `down`)."""
    out = [f"process {p}" for p in owned_pids(instance)]
    if netns_exists(instance):
        out.append(f"network namespace {render.netns(instance)}")
    if shm_dir(instance).exists():
        out.append(f"memory directory {shm_dir(instance)}")
    if run_dir(instance).exists():
        out.append(f"run directory {run_dir(instance)}")
    return out


# --- fault injection: power and links -------------------------------------------------------

def _ready_state(instance: str, host: str) -> dict:
    st = load_state(instance)
    if not st or st.get("phase") != "ready":
        raise LabError(f"instance {instance} is not up")
    if host not in st["hosts"]:
        raise LabError(f"no host {host!r} in instance {instance} (hosts: {', '.join(st['hosts'])})")
    return st


def host_pids(instance: str, host: str) -> list[int]:
    """The UML kernel of one host and its helper processes (they share its command line)."""
    marker = f"ubd0={run_dir(instance)}/hosts/{host}.cow,".encode()
    return [p for p in owned_pids(instance) if marker in _cmdline(p)]


def power_off(instance: str, host: str, *, log=print) -> None:
    """Hard power-off: SIGKILL the host's kernel, no shutdown inside the guest."""
    st = _ready_state(instance, host)
    pids = host_pids(instance, host)
    if not pids:
        raise LabError(f"host {host} of instance {instance} is already off")
    _kill(pids, instance, sigs=(signal.SIGKILL,))
    st["hosts"][host]["pid"] = None
    save_state(instance, st)
    log(f"[lab] {host} powered off")


def power_on(instance: str, host: str, *, timeout: float = DEFAULT_TIMEOUT, log=print) -> float:
    """Boot a powered-off host again from its own disk; wait for its sshd. Returns seconds."""
    st = _ready_state(instance, host)
    if host_pids(instance, host):
        raise LabError(f"host {host} of instance {instance} is already running")
    topo = topology.load(st["topology_file"])
    t0 = time.monotonic()
    st["hosts"][host]["pid"] = _boot(st, topo, topo.hosts[host])
    save_state(instance, st)
    _wait_all({**st, "hosts": {host: st["hosts"][host]}}, timeout, t0, log)
    secs = round(time.monotonic() - t0, 1)
    log(f"[lab] {host} powered on, ssh after {secs} s")
    return secs


def link(instance: str, host: str, nic: str, up: bool, *, log=print) -> None:
    """Cut (up=False) or mend one data NIC's cable: its tap leaves or rejoins the segment's bridge.

    The guest keeps carrier, as with a failure beyond the switch port: frames simply stop.
    """
    st = _ready_state(instance, host)
    topo = topology.load(st["topology_file"])
    h = topo.hosts[host]
    names = [n.name for n in h.nics]
    if nic not in names:
        raise LabError(f"host {host} has no data NIC {nic!r} (data NICs: {', '.join(names) or 'none'}; "
                       "eth0 is management and cannot be cut)")
    i = names.index(nic) + 1
    ns, tp = render.netns(instance), render.tap(h, i)
    if up:
        _run(["ip", "-n", ns, "link", "set", tp, "master", render.bridge(topo, h.nics[i - 1].segment)], "mend")
    else:
        _run(["ip", "-n", ns, "link", "set", tp, "nomaster"], "cut")
    cut = set(st["hosts"][host].get("cut", []))
    (cut.discard if up else cut.add)(nic)
    st["hosts"][host]["cut"] = sorted(cut)
    save_state(instance, st)
    log(f"[lab] {host} {nic} ({h.nics[i - 1].segment}) {'mended' if up else 'cut'}")


def _kill(pids: list[int], instance: str, grace: float = 5.0,
          sigs: tuple = (signal.SIGTERM, signal.SIGKILL)) -> None:
    for sig in sigs:
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
    """One dict per instance: topology, phase and per-host pid/port/memory/ssh state."""
    out = []
    for inst in ([instance] if instance else instances()):
        st = load_state(inst)
        if not st:
            out.append({"instance": inst, "phase": "broken (no state.json)", "hosts": {}})
            continue
        hosts = {}
        for name, v in st["hosts"].items():
            alive = _alive(v.get("pid"), inst)
            mem = memory_kib(v["pid"]) if alive else None
            hosts[name] = {
                "port": v["port"], "pid": v.get("pid"), "alive": alive, "mgmt": v.get("mgmt"),
                "mem_mib": round(mem / 1024) if mem is not None else None,
                "ssh": ssh_banner(v["port"], timeout=1.0) if alive else False,
                "cut": v.get("cut", []),
            }
        out.append({"instance": inst, "topology": st["topology"], "phase": st["phase"],
                    "ready_s": st.get("ready_s"), "inventory": str(run_dir(inst) / "inventory.yml"),
                    "netns": st.get("netns"), "forwarder": _alive(st.get("forwarder"), inst),
                    "hosts": hosts})
    return out
