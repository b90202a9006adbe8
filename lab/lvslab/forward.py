"""SSH port forwarder: 127.0.0.1:PORT in the host's namespace -> ADDR:22 in a lab namespace.

The UML counterpart of qemu's `hostfwd=tcp:127.0.0.1:PORT-:22`, so inventories keep using
127.0.0.1 ports. One process per instance serves every host:

    python3 forward.py RUN_DIR NETNS PORT=ADDR [PORT=ADDR ...]

It binds every listening socket first, while still in the host's namespace, then moves itself
into the lab namespace (setns), so each outgoing connection is made from inside it. A socket
keeps the namespace it was created in, which is what makes one process enough. RUN_DIR is
only there so that `labctl down` finds this process by its command line, like every other
process of the instance.

Nothing of the lab reaches the host's root namespace but these 127.0.0.1 listeners.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
CONNECT_TIMEOUT = 5.0
BUF = 65536


def enter_netns(name: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(BUF)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        # half-close, so the other direction can still drain (ssh relies on it at exit)
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def _serve_one(client: socket.socket, addr: str, port: int) -> None:
    try:
        upstream = socket.create_connection((addr, port), timeout=CONNECT_TIMEOUT)
    except OSError:
        client.close()  # guest not up (yet): the caller sees a closed connection, no banner
        return
    upstream.settimeout(None)
    for s in (client, upstream):
        try:  # interactive SSH: no Nagle delay on keystrokes and small channel messages
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
    t = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
    t.start()
    _pump(client, upstream)
    t.join()
    client.close()
    upstream.close()


def _accept_loop(listener: socket.socket, addr: str) -> None:
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(client, addr, 22), daemon=True).start()


def parse_targets(words: list[str]) -> dict[int, str]:
    out = {}
    for w in words:
        port, _, addr = w.partition("=")
        if not port.isdigit() or not addr:
            raise ValueError(f"bad target {w!r}: expected PORT=ADDR")
        out[int(port)] = addr
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    _run_dir, ns, *words = argv
    targets = parse_targets(words)
    listeners = []
    for port, addr in targets.items():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(64)
        listeners.append((s, addr))
    enter_netns(ns)  # before any thread exists: threads inherit the namespace of their creator
    threads = [threading.Thread(target=_accept_loop, args=la, daemon=True) for la in listeners]
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
