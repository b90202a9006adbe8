# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local listeners for the probe tests: a tiny HTTP server thread, a port that answers
something else than HTTP, a port that accepts and never answers, a closed port."""
import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def has_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(('::1', 0))
        return True
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    """``/`` answers the server's name (as the lab's real servers answer their hostname),
    ``/host`` the Host header, ``/moved`` 302, ``/broken`` 500, ``/slow`` after 2 s."""

    def do_GET(self):
        self.server.requests.append((self.request_version, self.path, self.headers.get('Host')))
        status, body = 200, self.server.name + '\nsecond line\n'
        if self.path == '/host':
            body = '%s\n' % self.headers.get('Host')
        elif self.path == '/moved':
            status, body = 302, 'see /\n'
        elif self.path == '/broken':
            status, body = 500, 'oops\n'
        elif self.path == '/slow':
            time.sleep(2)
        data = body.encode()
        self.send_response(status)
        self.send_header('Content-Length', str(len(data)))
        if status == 302:
            self.send_header('Location', '/')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The probe connects faster than a server thread in the same process accepts: with the
    # default backlog (5) the kernel drops a SYN and the client retries it a second later.
    request_queue_size = 64


class _Server6(_Server):
    address_family = socket.AF_INET6


@contextlib.contextmanager
def http_server(address='127.0.0.1', name='rs1'):
    """(address, port, server); ``server.requests`` records (version, path, Host) of each GET."""
    server = (_Server6 if ':' in address else _Server)((address, 0), Handler)
    server.name = name
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield address, server.server_address[1], server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def raw_server(answer, address='127.0.0.1'):
    """Accepts connections, sends ``answer`` (bytes) and closes."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((address, 0))
    listener.listen(16)
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _peer = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(4096)
                    conn.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield address, listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@contextlib.contextmanager
def silent_port(address='127.0.0.1'):
    """Listens (the kernel completes every handshake) but never accepts nor answers."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((address, 0))
        listener.listen(64)
        yield address, listener.getsockname()[1]


def closed_port(address='127.0.0.1'):
    """A port nothing listens on (bound once, then released): connecting is refused."""
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def entry(name, address, port, method='tcp', requests=1):
    """A plan entry as lvs.cluster.verify_plan makes it."""
    return {'name': name, 'vip': address, 'host': '[%s]' % address if ':' in address else address,
            'port': port, 'method': method, 'requests': requests}
