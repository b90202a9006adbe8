"""The SSH forwarder's pure part and its relay (on loopback, no namespace switch)."""
import socket
import threading

import pytest

from lvslab import forward


def test_parse_targets():
    assert forward.parse_targets(["20001=10.0.2.10", "20002=10.0.2.11"]) == {20001: "10.0.2.10", 20002: "10.0.2.11"}
    for bad in ("x=10.0.2.10", "20001", "20001="):
        with pytest.raises(ValueError):
            forward.parse_targets([bad])


def test_relay_both_ways_and_half_close(monkeypatch):
    # an "sshd" that reads until EOF, then answers: proves the half-close is passed on
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def echo_after_eof():
        c, _ = srv.accept()
        data = b""
        while chunk := c.recv(4096):
            data += chunk
        c.sendall(b"got " + str(len(data)).encode())
        c.close()

    threading.Thread(target=echo_after_eof, daemon=True).start()
    a, b = socket.socketpair()
    t = threading.Thread(target=forward._serve_one, args=(b, "127.0.0.1", port), daemon=True)
    t.start()
    a.sendall(b"x" * 300_000)
    a.shutdown(socket.SHUT_WR)
    out = b""
    while chunk := a.recv(4096):
        out += chunk
    assert out == b"got 300000"
    t.join(5)
    assert not t.is_alive()


def test_unreachable_guest_closes_the_client():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    a, b = socket.socketpair()
    forward._serve_one(b, "127.0.0.1", port)
    assert a.recv(10) == b""
