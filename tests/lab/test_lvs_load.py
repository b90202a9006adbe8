"""lvs_load.py (the lab's traffic tool): the load's figures, closed and open loop.

Runs a small HTTP server on this host's loopback; nothing is booted.
"""
import http.server
import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tests" / "tools" / "lvs_load.py"


def tool():
    spec = importlib.util.spec_from_file_location("lvs_load", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gap_is_the_longest_time_without_an_answer_and_slow_answers_are_counted():
    # (sent, answered, answer, error): the answer at 1.2 was a SYN retransmitted after 1 s.
    results = [(0.0, 0.01, "a", None), (0.05, 0.06, "b", None), (0.1, 1.2, "a", None),
               (0.15, 0.2, None, "refused"), (0.2, 0.4, "b", None)]
    out = tool().summary(results)
    assert out["total"] == 5 and out["failed"] == 1 and out["hosts"] == {"a": 2, "b": 2}
    # Answers at 0.01, 0.06, 0.4, 1.2: the longest gap is 0.4 -> 1.2.
    assert out["longest_gap"] == pytest.approx(0.8) and out["slow"] == 1
    assert out["failures"] == [{"t": 0.15, "error": "refused"}]
    assert tool().summary([])["longest_gap"] == 0.0


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        body = b"web1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", [[], ["--open"]])
def test_load_counts_every_request_until_the_stop_file(tmp_path, mode):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = tmp_path / "stop"
    try:
        # --max ends it: the stop file never appears.
        out = subprocess.run([sys.executable, str(TOOL), "load", "http://127.0.0.1:%d/" % server.server_port,
                              "--stop", str(stop), "--interval", "0.02", "--max", "0.5"] + mode,
                             stdout=subprocess.PIPE, text=True, check=True, timeout=30).stdout
    finally:
        server.shutdown()
    report = json.loads(out)
    assert report["open"] is bool(mode) and report["failed"] == 0
    assert 10 <= report["total"] <= 30 and report["hosts"] == {"web1": report["total"]}
    assert report["longest_gap"] < 0.5


def test_hold_answers_every_connection_in_its_own_slot(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    release = tmp_path / "release"
    release.touch()
    try:
        out = subprocess.run([sys.executable, str(TOOL), "hold", "127.0.0.1", str(server.server_port), "8",
                              "--release", str(release)], stdout=subprocess.PIPE, text=True, check=True, timeout=30).stdout
    finally:
        server.shutdown()
    report = json.loads(out)
    # Released in a random order, reported in opening order.
    assert report["survived"] == 8 and report["percent"] == 100.0
    assert [r["host"] for r in report["results"]] == ["web1"] * 8


def test_keepalive_reuses_connections_and_resends_on_one_the_server_closed(tmp_path):
    class KeepAlive(_Handler):
        protocol_version = "HTTP/1.1"
        served = 0

        def do_GET(self):  # noqa: N802 - the stdlib's name
            KeepAlive.served += 1
            super().do_GET()
            # Every third request: the server closes the connection afterwards, without saying so.
            if KeepAlive.served % 3 == 0:
                self.close_connection = True

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    connections = []
    server.process_request_thread = (lambda orig: lambda *a: (connections.append(1), orig(*a)))(server.process_request_thread)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = subprocess.run([sys.executable, str(TOOL), "load", "http://127.0.0.1:%d/" % server.server_port,
                              "--stop", str(tmp_path / "stop"), "--interval", "0.01", "--max", "0.5",
                              "--keepalive", "100"], stdout=subprocess.PIPE, text=True, check=True, timeout=30).stdout
    finally:
        server.shutdown()
    report = json.loads(out)
    assert report["failed"] == 0 and report["keepalive"] == 100 and report["total"] >= 10
    # A new connection after each close, and each close cost one resent request.
    assert report["retried"] >= 1 and len(connections) < report["total"]


def test_open_and_keepalive_do_not_mix(tmp_path):
    proc = subprocess.run([sys.executable, str(TOOL), "load", "http://127.0.0.1:1/", "--stop", str(tmp_path / "s"),
                           "--open", "--keepalive", "5"], stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 2 and "--open and --keepalive" in proc.stderr
