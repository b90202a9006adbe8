"""Where the lab keeps things. Nothing built ever lands in the repository.

LVS_LAB_CACHE  images, the kernel and debootstrap's .deb cache (default: $XDG_CACHE_HOME or ~/.cache, /lvs-cluster-lab)
LVS_LAB_RUN    per-instance runtime state                    (default: /tmp/lvs-lab)
"""

import os
from pathlib import Path


def cache_root() -> Path:
    env = os.environ.get("LVS_LAB_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "lvs-cluster-lab"


def run_root() -> Path:
    # Short on purpose: vde switch sockets and ssh control sockets live below it and unix
    # socket paths are limited to 107 bytes.
    return Path(os.environ.get("LVS_LAB_RUN", "/tmp/lvs-lab"))
