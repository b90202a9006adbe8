"""SSH port allocation for the management hostfwds (127.0.0.1 only).

Each instance gets a contiguous block of ports, one per host in topology order. The search
starts at a point derived from the instance name (so an instance tends to get the same ports
every time) and skips blocks that overlap ports recorded by other live instances or that are
in use on 127.0.0.1. An explicitly requested base port is never moved: if any of its ports is
taken the launch fails before anything boots, naming the port.
"""

from __future__ import annotations

import errno
import socket
import zlib
from typing import Callable, Iterable

PORT_MIN = 20000
PORT_MAX = 39999
BLOCK = 32  # ports per instance block: the most hosts a topology may have


class PortError(RuntimeError):
    pass


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if the SSH forwarder could bind host:port right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # the forwarder sets SO_REUSEADDR too, so a port in TIME_WAIT is usable: mirror that.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return True
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return False
        raise
    finally:
        s.close()


def check_ports(ports: Iterable[int], reserved: set[int], is_free: Callable[[int], bool] = port_free) -> list[str]:
    problems = []
    for p in ports:
        if not PORT_MIN <= p <= PORT_MAX + BLOCK:
            problems.append(f"port {p} outside {PORT_MIN}-{PORT_MAX + BLOCK}")
        elif p in reserved:
            problems.append(f"port {p} is used by another running lab instance")
        elif not is_free(p):
            problems.append(f"port {p} is already in use on 127.0.0.1")
    return problems


def allocate(instance: str, hosts: list[str], *, reserved: set[int] = frozenset(),
             base: int | None = None, is_free: Callable[[int], bool] = port_free) -> dict[str, int]:
    """host name -> SSH port. Raises PortError with the reason if no usable block exists."""
    if len(hosts) > BLOCK:
        raise PortError(f"{len(hosts)} hosts: at most {BLOCK} per instance")
    if base is not None:
        ports = {h: base + i for i, h in enumerate(hosts)}
        problems = check_ports(ports.values(), set(reserved), is_free)
        if problems:
            raise PortError("requested base port %d unusable: %s" % (base, "; ".join(problems)))
        return ports
    nblocks = (PORT_MAX - PORT_MIN + 1) // BLOCK
    first = zlib.crc32(instance.encode()) % nblocks
    for k in range(nblocks):
        b = PORT_MIN + ((first + k) % nblocks) * BLOCK
        ports = {h: b + i for i, h in enumerate(hosts)}
        if not check_ports(ports.values(), set(reserved), is_free):
            return ports
    raise PortError(f"no free block of {len(hosts)} ports in {PORT_MIN}-{PORT_MAX}")
