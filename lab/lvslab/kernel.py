"""The lab's kernel: Debian's ``user-mode-linux`` package from the testing suite, kept in the cache.

Why not bookworm's own package (6.1): its UML saves and restores each guest process's FPU
state with ``PTRACE_SETREGSET(NT_X86_XSTATE)`` from a buffer of a fixed size, and the host
kernel refuses (EFAULT) any buffer shorter than the CPU's whole XSAVE area. On a host with
AMX (Intel Sapphire Rapids and later; the XSAVE area is then about 11 KB) every guest's init
dies at once ("userspace - ptrace set fp regs failed, errno = 14", "Attempted to kill init!
exitcode=0x0000000b"). trixie's 6.12 fails the same way; forky's 7.2, whose UML reworked that
FPU handling, boots there (each checked with init=/bin/true on such a host).

So the lab takes ``user-mode-linux`` from Debian testing (``forky``), with apt itself checking
the archive's signature (a private apt state; the host's own sources and packages are never
touched). That binary needs glibc >= 2.38 and bookworm has 2.36, so the same suite's ``libc6``
is unpacked beside it and the binary's ELF interpreter and library path point there
(patchelf). The host's libc is untouched; the guests use bookworm's userland as before.

Layout of ``<cache>/kernel/``:
  linux.uml             the patched kernel binary
  modules/<version>/    its modules (copied into the lab image by image.py)
  libc/                 the unpacked libc6 (ld-linux-x86-64.so.2, libc.so.6)
  kernel.json           the package versions, the suite and when it was fetched

It is fetched once (``labctl build``) and reused offline after that; ``labctl build --rebuild``
fetches the suite's current version again. LVS_LAB_KERNEL_SUITE picks another suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import paths

SUITE = os.environ.get("LVS_LAB_KERNEL_SUITE", "forky")
MIRROR = os.environ.get("LVS_LAB_MIRROR", "http://deb.debian.org/debian")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
PACKAGES = ("user-mode-linux", "libc6")
LIBDIR = "usr/lib/x86_64-linux-gnu"


class KernelError(RuntimeError):
    pass


@dataclass(frozen=True)
class Kernel:
    binary: Path
    version: str  # the modules directory's name, e.g. 7.2.7
    modules: Path  # <cache>/kernel/modules/<version>
    info: dict


def kernel_dir() -> Path:
    return paths.cache_root() / "kernel"


def find() -> Kernel | None:
    """The fetched kernel, or None when there is none (or it is incomplete)."""
    d = kernel_dir()
    try:
        info = json.loads((d / "kernel.json").read_text())
    except (OSError, ValueError):
        return None
    k = Kernel(binary=d / "linux.uml", version=info.get("version", ""),
               modules=d / "modules" / info.get("version", "?"), info=info)
    if not (os.access(k.binary, os.X_OK) and k.modules.is_dir()
            and (d / "libc" / "ld-linux-x86-64.so.2").is_file()):
        return None
    return k


def require() -> Kernel:
    k = find()
    if k is None:
        raise KernelError(f"no lab kernel under {kernel_dir()}: run `labctl build` (make lab-build)")
    return k


def _run(argv: list, log, **kw) -> None:
    log.write(f"\n$ {' '.join(map(str, argv))}\n")
    log.flush()
    res = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, **kw)
    if res.returncode != 0:
        raise KernelError(f"kernel fetch step failed ({res.returncode}): {' '.join(map(str, argv))}"
                          f" -- see {log.name}")


def _apt_options(work: Path) -> list[str]:
    """apt options for a private state under ``work``: only SUITE's index, no host package state."""
    for sub in ("lists/partial", "cache/archives/partial", "sources"):
        (work / "apt" / sub).mkdir(parents=True, exist_ok=True)
    (work / "apt/sources/lab.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: {SUITE}\nComponents: main\nSigned-By: {KEYRING}\n")
    return ["-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={work}/apt/sources",
            "-o", f"Dir::State::Lists={work}/apt/lists", "-o", f"Dir::Cache={work}/apt/cache",
            "-o", "Dir::State::status=/dev/null", "-o", "APT::Architectures=amd64",
            "-o", "APT::Sandbox::User=root", "-o", "Debug::NoLocking=1",
            # a fresh CI machine's one chance at the mirror: ride out a dropped connection
            "-o", "Acquire::Retries=3"]


def fetch(log) -> Kernel:
    """Download, unpack and patch SUITE's kernel into ``<cache>/kernel`` (replacing any older one)."""
    missing = [t for t in ("apt-get", "dpkg-deb", "patchelf") if not shutil.which(t)]
    if missing:
        raise KernelError(f"missing host tools {missing}: apt-get install $(cat lab/host-packages.txt)")
    final = kernel_dir()
    work = final.with_name(final.name + ".fetch")
    shutil.rmtree(work, ignore_errors=True)
    (work / "debs").mkdir(parents=True)
    opts = _apt_options(work)
    _run(["apt-get", *opts, "-q", "update"], log)
    _run(["apt-get", *opts, "-q", "download", *PACKAGES], log, cwd=work / "debs")
    versions = {}
    for pkg in PACKAGES:
        debs = sorted((work / "debs").glob(f"{pkg}_*.deb"))
        if len(debs) != 1:
            raise KernelError(f"expected one {pkg} package in {work / 'debs'}, found {debs}")
        versions[pkg] = debs[0].name.split("_")[1]
        _run(["dpkg-deb", "-x", str(debs[0]), str(work / pkg)], log)
    mods = sorted(p for p in (work / "user-mode-linux/usr/lib/uml/modules").glob("*") if p.is_dir())
    if len(mods) != 1:
        raise KernelError(f"expected one modules directory in user-mode-linux {versions['user-mode-linux']}, "
                          f"found {[p.name for p in mods]}")
    out = work / "out"
    (out / "modules").mkdir(parents=True)
    shutil.move(str(mods[0]), out / "modules" / mods[0].name)
    shutil.move(str(work / "libc6" / LIBDIR), out / "libc")
    shutil.move(str(work / "user-mode-linux/usr/bin/linux.uml"), out / "linux.uml")
    # The final paths, not the work directory's: the directory is renamed into place below.
    lib = final / "libc"
    _run(["patchelf", "--set-interpreter", str(lib / "ld-linux-x86-64.so.2"), "--set-rpath", str(lib),
          str(out / "linux.uml")], log)
    info = {"version": mods[0].name, "suite": SUITE, "mirror": MIRROR, "packages": versions,
            "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    (out / "kernel.json").write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    out.rename(final)
    shutil.rmtree(work, ignore_errors=True)
    return require()
