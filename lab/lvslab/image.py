"""Build (once) and find the lab's base image.

Everything comes from Debian's registry: a debootstrap'd bookworm root filesystem, plus the
modules of the lab's UML kernel (kernel.py: Debian's ``user-mode-linux`` from the testing
suite, fetched into the cache; it ships ip_vs with every scheduler, ipip, ip6_tunnel and dummy
as modules). The result is cached under ``<cache>/images/<hash>/`` where
the hash covers every input (package list, UML kernel version, suite, this file and every file
of the guest overlay), so changing any of them builds a new image and an unchanged tree
reuses the old one.

Artifacts of one image directory:
  base.img              raw ext4 root filesystem; hosts boot from UML copy-on-write files over it
  id_ed25519[.pub]      throwaway key pair authorised for root in the image
  build.json            inputs, timings (the "from nothing" build time is recorded here)
  build.log             output of every build step
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import kernel, paths

LAB_DIR = Path(__file__).resolve().parent.parent
IMAGE_SRC = LAB_DIR / "image"
SUITE = "bookworm"
MIRROR = kernel.MIRROR  # one LVS_LAB_MIRROR for the image and the kernel
IMAGE_SIZE = "2G"  # sparse; about 650 MB are really used

# The guest's NICs come from UML's vector driver, which names them vecN; the lab calls them
# ethN (eth0 management, eth1.. data), so .link files rename them before networkd matches.
MAX_NICS = 9

# Units that only cost boot time in a throwaway VM. keepalived is installed but must stay off:
# the collection's roles decide whether it runs.
DISABLED_UNITS = [
    "systemd-networkd-wait-online.service", "keepalived.service", "apt-daily.timer",
    "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer", "fstrim.timer",
    "e2scrub_reap.service", "systemd-timesyncd.service",
]
ENABLED_UNITS = ["systemd-networkd.service", "lab-net.service", "lab-httpd.service", "ssh.service"]


class BuildError(RuntimeError):
    pass


def packages() -> list[str]:
    out = []
    for line in (IMAGE_SRC / "packages.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def kernel_version() -> str:
    """The lab kernel's version (its modules directory's name); BuildError when none is fetched."""
    try:
        return kernel.require().version
    except kernel.KernelError as exc:
        raise BuildError(str(exc)) from None


def _input_files() -> list[Path]:
    files = [Path(__file__), IMAGE_SRC / "packages.txt"]
    files += sorted(p for p in (IMAGE_SRC / "overlay").rglob("*") if p.is_file())
    return files


def image_hash(kver: str) -> str:
    h = hashlib.sha256()
    h.update(f"backend=uml\nsuite={SUITE}\nkernel={kver}\npackages={','.join(packages())}\n".encode())
    for f in _input_files():
        h.update(str(f.relative_to(LAB_DIR)).encode() + b"\0")
        h.update(oct(f.stat().st_mode & 0o777).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def image_dir(kver: str | None = None) -> Path:
    kver = kver or kernel_version()
    return paths.cache_root() / "images" / image_hash(kver)


def find_image() -> Path | None:
    d = image_dir()
    return d if (d / "build.json").is_file() else None


class _Builder:
    def __init__(self, work: Path, kern: kernel.Kernel, log):
        self.work, self.kern, self.kver, self.log = work, kern, kern.version, log
        self.steps: dict[str, float] = {}

    def run(self, argv, **kw):
        self.log.write(f"\n$ {' '.join(map(str, argv))}\n")
        self.log.flush()
        res = subprocess.run(argv, stdout=self.log, stderr=subprocess.STDOUT, **kw)
        if res.returncode != 0:
            raise BuildError(f"build step failed ({res.returncode}): {' '.join(map(str, argv))}"
                             f" -- see {self.log.name}")

    def step(self, name, fn):
        t = time.monotonic()
        print(f"[lab build] {name} ...", flush=True)
        fn()
        self.steps[name] = round(time.monotonic() - t, 1)
        print(f"[lab build] {name}: {self.steps[name]} s", flush=True)

    # -- steps ------------------------------------------------------------------------------
    def debootstrap(self):
        debs = paths.cache_root() / "debs"  # debootstrap's own download cache: faster rebuilds
        debs.mkdir(parents=True, exist_ok=True)
        self.run(["debootstrap", "--variant=minbase", f"--cache-dir={debs}",
                  "--include=" + ",".join(packages()), SUITE, str(self.work / "rootfs"), MIRROR])

    def configure(self):
        root = self.work / "rootfs"
        # the UML kernel's modules, so modprobe ip_vs/ipip/ip6_tunnel/dummy work in the guest
        mods = root / "lib/modules" / self.kver
        shutil.rmtree(mods, ignore_errors=True)
        shutil.copytree(self.kern.modules, mods, symlinks=True)
        self.run(["depmod", "-b", str(root), self.kver])
        # guest overlay files (lab-net, lab-httpd, units, networkd/sshd/journald config)
        overlay = IMAGE_SRC / "overlay"
        for f in sorted(overlay.rglob("*")):
            dst = root / f.relative_to(overlay)
            if f.is_dir():
                dst.mkdir(parents=True, exist_ok=True)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, dst)
        (root / "etc/fstab").write_text("/dev/ubda / ext4 rw,noatime 0 1\n")
        (root / "etc/systemd/network").mkdir(parents=True, exist_ok=True)
        for i in range(MAX_NICS):
            (root / f"etc/systemd/network/05-uml-vec{i}.link").write_text(
                f"[Match]\nOriginalName=vec{i}\n\n[Link]\nName=eth{i}\n")
        (root / "etc/hostname").write_text("lab\n")  # systemd.hostname= on the cmdline wins
        # The lab has no DNS. debootstrap copied the build host's resolver, which no guest can
        # reach: every name lookup (Python's socket.getfqdn() in an HTTP server's bind, for one)
        # then hung 5 s per try. With no nameserver line glibc asks 127.0.0.1, which refuses at once.
        resolv = root / "etc/resolv.conf"
        if resolv.exists() or resolv.is_symlink():
            resolv.unlink()
        resolv.write_text("# lvs.cluster lab: no DNS, so lookups fail at once instead of timing out\n")
        # Empty machine-id: systemd generates a fresh one per host on first boot (and with a
        # read-write root commits it), so the hosts do not share DHCP/journal identities.
        (root / "etc/machine-id").write_text("")
        dbus_mid = root / "var/lib/dbus/machine-id"
        if dbus_mid.exists() or dbus_mid.is_symlink():
            dbus_mid.unlink()
        # throwaway key pair; root has no password (console debugging), login is by key
        key = self.work / "id_ed25519"
        self.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lvs-lab", "-f", str(key)])
        ssh = root / "root/.ssh"
        ssh.mkdir(mode=0o700, exist_ok=True)
        shutil.copy2(str(key) + ".pub", ssh / "authorized_keys")
        os.chmod(ssh / "authorized_keys", 0o600)
        self.run(["chroot", str(root), "passwd", "-d", "root"])
        self.run(["chroot", str(root), "systemctl", "enable", *ENABLED_UNITS])
        for unit in DISABLED_UNITS:  # some may not exist in this package set: ignore those
            subprocess.run(["chroot", str(root), "systemctl", "disable", unit],
                           stdout=self.log, stderr=subprocess.STDOUT)
        # UML's consoles are not ttys anybody logs in on: no gettys (they would spin on con=null)
        self.run(["chroot", str(root), "systemctl", "mask", "getty@tty1.service", "getty@tty0.service",
                  "serial-getty@ttyS0.service", "console-getty.service"])
        # no package lists/archives in the image: nothing inside the lab can reach a mirror
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for p in (root / junk).glob("*.deb"):
                p.unlink()

    def mkimage(self):
        img = self.work / "base.img"
        with open(img, "wb") as f:
            f.truncate(_size_bytes(IMAGE_SIZE))
        self.run(["mkfs.ext4", "-q", "-F", "-L", "labroot", "-E", "lazy_itable_init=0",
                  "-d", str(self.work / "rootfs"), str(img)])


def _size_bytes(s: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1]] if s[-1] in units else int(s)


def build(rebuild: bool = False, quiet: bool = False) -> Path:
    """Return the image directory, building it first unless a cached one matches.

    The kernel is fetched first when there is none (or again with ``rebuild``): the image
    carries its modules, so its hash covers the kernel's version.
    """
    kern = kernel.find()
    if kern is None or rebuild:
        if os.geteuid() != 0:
            raise BuildError("fetching the lab kernel needs root (apt-get)")
        paths.cache_root().mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        print(f"[lab build] kernel: user-mode-linux from Debian {kernel.SUITE} ...", flush=True)
        with open(paths.cache_root() / "kernel-fetch.log", "w") as log:
            try:
                kern = kernel.fetch(log)
            except kernel.KernelError as exc:
                raise BuildError(str(exc)) from None
        print(f"[lab build] kernel {kern.version} ({kern.info['packages']}): "
              f"{time.monotonic() - t:.1f} s", flush=True)
    kver = kern.version
    final = image_dir(kver)
    if (final / "build.json").is_file() and not rebuild:
        t = time.monotonic()
        info = json.loads((final / "build.json").read_text())
        if not quiet:
            print(f"[lab build] cached image {final} (kernel {kver}); from-nothing build took "
                  f"{info['build_seconds']} s on {info['built_at']}; cache hit in "
                  f"{time.monotonic() - t:.2f} s")
        return final
    if os.geteuid() != 0:
        raise BuildError("building the lab image needs root (debootstrap, chroot)")
    missing = [t for t in ("debootstrap", "mkfs.ext4", "depmod") if not shutil.which(t)]
    if missing:
        raise BuildError(f"missing host tools {missing}: apt-get install $(cat lab/host-packages.txt)")
    work = final.with_name(final.name + ".build")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t0 = time.monotonic()
    with open(work / "build.log", "w") as log:
        b = _Builder(work, kern, log)
        print(f"[lab build] kernel {kver}, suite {SUITE}, into {final}", flush=True)
        b.step("debootstrap", b.debootstrap)
        b.step("configure rootfs", b.configure)
        b.step("ext4 image", b.mkimage)
    total = round(time.monotonic() - t0, 1)
    for d in ("rootfs",):
        shutil.rmtree(work / d, ignore_errors=True)
    info = {
        "hash": final.name, "kernel": kver, "kernel_packages": kern.info["packages"],
        "suite": SUITE, "mirror": MIRROR,
        "packages": packages(), "steps_seconds": b.steps, "build_seconds": total,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (work / "build.json").write_text(json.dumps(info, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    print(f"[lab build] done in {total} s: {final}")
    return final


if __name__ == "__main__":  # pragma: no cover
    build(rebuild="--rebuild" in sys.argv)
