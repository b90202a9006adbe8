"""lab-httpd (the guests' HTTP responder) answers over IPv4 and IPv6, with plain addresses.

Runs its servers on this host's loopback addresses and ephemeral ports; nothing is booted.
"""
import importlib.machinery
import importlib.util
import json
import socket
import threading
import urllib.request
from pathlib import Path

import pytest

LAB_HTTPD = Path(__file__).resolve().parents[2] / "lab" / "image" / "overlay" / "usr" / "local" / "sbin" / "lab-httpd"


def load():
    loader = importlib.machinery.SourceFileLoader("lab_httpd", str(LAB_HTTPD))
    spec = importlib.util.spec_from_loader("lab_httpd", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback on this host")
def test_answers_on_both_families():
    httpd = load()
    servers = httpd.make_servers(ports=(0,), hosts=("127.0.0.1", "::1"))
    try:
        assert [s.address_family for s in servers] == [socket.AF_INET, socket.AF_INET6]
        assert servers[1].socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
        for srv in servers:
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        got = []
        for srv in servers:
            host, port = srv.server_address[:2]
            url = f"http://{'[%s]' % host if ':' in host else host}:{port}/info"
            with urllib.request.urlopen(url, timeout=10) as r:
                got.append(json.load(r))
        assert [(g["server_addr"], g["client_addr"]) for g in got] == [("127.0.0.1", "127.0.0.1"), ("::1", "::1")]
        assert got[1]["host"] == socket.gethostname()
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()


def test_ipv4_still_served_without_ipv6(monkeypatch):
    httpd = load()

    def no_ipv6(self):
        raise OSError(97, "Address family not supported by protocol")
    monkeypatch.setattr(httpd.Server6, "server_bind", no_ipv6)
    servers = httpd.make_servers(ports=(0,), hosts=("127.0.0.1", "::1"))
    try:
        assert [s.address_family for s in servers] == [socket.AF_INET]
    finally:
        for srv in servers:
            srv.server_close()


def test_binding_looks_up_no_name(monkeypatch):
    # HTTPServer's own server_bind calls socket.getfqdn(): without DNS in the guests that hung
    # 5 s per socket after a boot, while the bound sockets accepted connections nobody served.
    def no_lookup(*_args):
        raise AssertionError('lab-httpd looked a name up while binding')

    httpd = load()
    monkeypatch.setattr(socket, 'getfqdn', no_lookup)
    monkeypatch.setattr(socket, 'gethostbyaddr', no_lookup)
    servers = httpd.make_servers(ports=(0,), hosts=("127.0.0.1",))
    try:
        assert servers[0].server_name == socket.gethostname()
        assert servers[0].server_port == servers[0].server_address[1]
    finally:
        for srv in servers:
            srv.server_close()


@pytest.fixture
def serve(monkeypatch):
    """Starts lab-httpd on 127.0.0.1 with the keep-alive timeout given; stopped after the test."""
    started = []

    def start(keepalive_timeout):
        httpd = load()
        monkeypatch.setattr(httpd.Handler, "keepalive_timeout", keepalive_timeout)
        server = httpd.make_servers(ports=(0,), hosts=("127.0.0.1",))[0]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_http11_keeps_the_connection_and_http10_closes_it(serve):
    server = serve(0.5)
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as sock:
        reader = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b"".join(iter(reader.readline, b"\r\n"))
            assert head.startswith(b"HTTP/1.1 200") and b"Connection: close" not in head
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            assert reader.read(length) == (socket.gethostname() + "\n").encode()
        # Idle past the keep-alive timeout: the server closes.
        assert reader.readline() == b""
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert b"Connection: close" in sock.makefile("rb").read()


def test_a_half_sent_first_request_is_not_timed_out(serve):
    # The HA tests hold requests half sent across a failover, longer than the keep-alive timeout.
    server = serve(0.2)
    with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n")
        sock.settimeout(0.6)
        with pytest.raises(socket.timeout):
            sock.recv(1)
        sock.settimeout(5)
        sock.sendall(b"\r\n")
        assert sock.makefile("rb").read().startswith(b"HTTP/1.1 200")
