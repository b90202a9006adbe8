#!/usr/bin/env python3
"""Traffic and timing for the lab's HA and rollout proofs (stdlib only; runs on lab guests).

    lvs_load.py load URL --stop FILE [--interval 0.02] [--timeout 1] [--max 600] [--open]
        One new TCP connection per request until FILE exists (or --max seconds).  Prints one JSON
        object: total, failed, per-host answers, the failures (time, error), the longest
        time without a successful answer (the outage a failover or a drain cost) and how many
        answers took over 0.9 s (a SYN retransmitted after TCP's 1 s initial timeout).
        Requests go one after another (what one user sees: a lost SYN costs that second), or
        with --open one every --interval whether or not the last has answered (an open loop:
        the gap is then how long the service took no new connection, not one client's timeout).
        With --keepalive N each connection carries up to N HTTP/1.1 requests (closed loop); a
        request on a reused connection that the server closed before answering is sent again
        on a new one, as HTTP clients do for idempotent requests (counted in "retried").
    lvs_load.py hold HOST PORT COUNT --release FILE [--max 600]
        Opens COUNT connections and sends the first half of a request on each (so each is an
        established, synced IPVS connection), waits until FILE exists, then ends the requests
        in a random order (as independent clients would; in opening order a new master without
        the synced entries would reschedule them, under sloppy_tcp, in the old master's round-
        robin order and hit the same real servers) and prints JSON: per connection the host
        that answered or the error.

    lvs_load.py wait-addr ADDRESS [--absent] [--timeout 30]
        Polls `ip -j addr` every 50 ms until ADDRESS is on (or gone from) this host.
    lvs_load.py wait-rs 'SERVICE' REALSERVER [--absent] [--timeout 30]
        Polls `ipvsadm -Sn` every 50 ms until REALSERVER (10.0.0.11:80) is in (or out of) SERVICE
        (as -Sn names it: '-t 10.0.0.10:80').
    lvs_load.py stamp -- COMMAND...
        Runs COMMAND and prints the epoch second it returned (to line events up across lab hosts,
        whose clocks are the host's).

Times are monotonic seconds from the start; ``wall_start`` and ``epoch`` are epoch seconds so a
caller can line events up with its own clock.  The wait commands print {"ok", "epoch", "waited"}
and exit 1 on timeout.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit


def _answer(sock):
    """The body of the HTTP answer read to the end of the connection; OSError unless 200."""
    data = b''
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    if not head.startswith(b'HTTP/1.') or b' 200 ' not in head.split(b'\r\n', 1)[0] + b' ':
        raise OSError('bad answer %r' % head[:40])
    return body.decode(errors='replace').strip()


def _request(host, port, path, timeout):
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(('GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' % (path, host)).encode())
        return _answer(sock)


class _Closed(OSError):
    """The server closed a kept-alive connection before answering."""


def _read_response(reader):
    """(body, server closes) of one HTTP/1.1 answer read by its Content-Length."""
    status = reader.readline()
    if not status:
        raise _Closed('closed before an answer')
    headers = {}
    while True:
        line = reader.readline()
        if line in (b'\r\n', b'\n', b''):
            break
        name, _, value = line.decode('latin-1').partition(':')
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get('content-length', '0')))
    if not status.startswith(b'HTTP/1.') or b' 200 ' not in status.split(b'\r\n', 1)[0] + b' ':
        raise OSError('bad answer %r' % status[:40])
    return body.decode(errors='replace').strip(), headers.get('connection', '').lower() == 'close'


class _KeepAlive(object):
    """One client on kept-alive connections of up to ``per_conn`` requests each."""

    def __init__(self, host, port, path, timeout, per_conn):
        self.host, self.port, self.path, self.timeout, self.per_conn = host, port, path, timeout, per_conn
        self.sock = self.reader = None
        self.used = 0
        self.retried = 0

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None
        self.used = 0

    def _once(self):
        if self.sock is None:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self.sock.settimeout(self.timeout)
            self.reader = self.sock.makefile('rb')
        self.sock.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\n\r\n' % (self.path, self.host)).encode())
        answer, closing = _read_response(self.reader)
        self.used += 1
        if closing or self.used >= self.per_conn:
            self.close()
        return answer

    def request(self):
        reused = self.used > 0
        try:
            return self._once()
        except (_Closed, ConnectionResetError, BrokenPipeError):
            # Closed or reset before any answer: on a reused connection that is the server
            # ending an idle keep-alive, which HTTP clients answer by sending again.
            self.close()
            if not reused:
                raise
            self.retried += 1
            return self._once()
        except OSError:
            self.close()
            raise


def _probe(host, port, path, timeout, start, client=None):
    """One request: (sent, answered, answer or None, error or None), times from ``start``."""
    sent = time.monotonic() - start
    try:
        answer, error = (client.request() if client else _request(host, port, path, timeout)), None
    except (OSError, socket.timeout) as exc:
        answer, error = None, str(exc) or type(exc).__name__
    return sent, time.monotonic() - start, answer, error


def summary(results):
    """Totals of probe results; the gap runs from the start to the first answer and between answers."""
    hosts, failures, answered = {}, [], [0.0]
    for sent, done, answer, error in sorted(results, key=lambda result: result[0]):
        if error is None:
            hosts[answer] = hosts.get(answer, 0) + 1
            answered.append(done)
        else:
            failures.append({'t': round(sent, 3), 'error': error})
    answered.sort()
    gaps = [b - a for a, b in zip(answered, answered[1:])]
    slow = sum(1 for sent, done, _answer, error in results if error is None and done - sent > 0.9)
    return {'total': len(results), 'failed': len(failures), 'hosts': hosts,
            'longest_gap': round(max(gaps or [0.0]), 3), 'slow': slow, 'failures': failures[:200]}


def load(args):
    url = urlsplit(args.url)
    host, port, path = url.hostname, url.port or 80, url.path or '/'
    start, wall = time.monotonic(), time.time()
    results, threads, lock = [], [], threading.Lock()
    # An open loop caps the requests in flight so a dead VIP cannot pile up threads.
    slots = threading.BoundedSemaphore(200)

    def opened():
        result = _probe(host, port, path, args.timeout, start)
        with lock:
            results.append(result)
        slots.release()

    client = _KeepAlive(host, port, path, args.timeout, args.keepalive) if args.keepalive else None
    n = 0
    while time.monotonic() - start < args.max and not os.path.exists(args.stop):
        if args.open:
            slots.acquire()
            thread = threading.Thread(target=opened, daemon=True)
            thread.start()
            threads.append(thread)
        else:
            results.append(_probe(host, port, path, args.timeout, start, client))
        n += 1
        # On a fixed schedule: a slow answer delays the next request only in the closed loop.
        ahead = start + n * args.interval - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        elif not args.open:
            n = int((time.monotonic() - start) / args.interval)
    for thread in threads:
        thread.join()
    if client is not None:
        client.close()
    report = {'url': args.url, 'wall_start': wall, 'seconds': round(time.monotonic() - start, 3),
              'open': bool(args.open), 'keepalive': args.keepalive, 'retried': client.retried if client else 0}
    report.update(summary(results))
    json.dump(report, sys.stdout)
    sys.stdout.write('\n')


def hold(args):
    start, wall = time.monotonic(), time.time()
    conns = []
    for _ in range(args.count):
        try:
            sock = socket.create_connection((args.host, args.port), timeout=5)
            # Half the request: the connection is established and has carried data both ways
            # at the TCP level, so IPVS syncs it (sync_threshold counts packets).
            sock.sendall(('GET / HTTP/1.0\r\nHost: %s\r\n' % args.host).encode())
            conns.append(sock)
        except OSError as exc:
            conns.append(exc)
    while time.monotonic() - start < args.max and not os.path.exists(args.release):
        time.sleep(0.1)
    results = [None] * len(conns)
    order = list(range(len(conns)))
    random.shuffle(order)
    for index in order:
        sock = conns[index]
        if isinstance(sock, Exception):
            results[index] = {'ok': False, 'error': 'connect: %s' % sock}
            continue
        try:
            sock.settimeout(args.timeout)
            sock.sendall(b'\r\n')
            results[index] = {'ok': True, 'host': _answer(sock), 'error': None}
        except OSError as exc:
            results[index] = {'ok': False, 'error': str(exc) or type(exc).__name__}
        finally:
            sock.close()
    survived = sum(1 for r in results if r['ok'])
    json.dump({'wall_start': wall, 'count': args.count, 'survived': survived,
               'percent': round(100.0 * survived / max(args.count, 1), 1), 'results': results}, sys.stdout)
    sys.stdout.write('\n')


def _wait(probe, absent, timeout):
    start = time.monotonic()
    while True:
        present = probe()
        if present != absent:
            ok = True
            break
        if time.monotonic() - start >= timeout:
            ok = False
            break
        time.sleep(0.05)
    json.dump({'ok': ok, 'epoch': time.time(), 'waited': round(time.monotonic() - start, 3)}, sys.stdout)
    sys.stdout.write('\n')
    return 0 if ok else 1


def wait_addr(args):
    def probe():
        out = subprocess.run(['ip', '-j', 'addr', 'show'], capture_output=True, text=True, check=False).stdout
        return any(a.get('local') == args.address for link in json.loads(out or '[]') for a in link.get('addr_info', []))
    return _wait(probe, args.absent, args.timeout)


def wait_rs(args):
    needle = '-a %s -r %s ' % (args.service, args.realserver)

    def probe():
        out = subprocess.run(['ipvsadm', '-Sn'], capture_output=True, text=True, check=False).stdout
        return any(line.startswith(needle) for line in out.splitlines())
    return _wait(probe, args.absent, args.timeout)


def stamp(args):
    rc = subprocess.run(args.command, check=False).returncode
    json.dump({'rc': rc, 'epoch': time.time()}, sys.stdout)
    sys.stdout.write('\n')
    return rc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('load')
    p.add_argument('url')
    p.add_argument('--stop', required=True)
    p.add_argument('--interval', type=float, default=0.02)
    p.add_argument('--timeout', type=float, default=1.0)
    p.add_argument('--max', type=float, default=600)
    p.add_argument('--open', action='store_true', help='one request every --interval, not waiting for answers')
    p.add_argument('--keepalive', type=int, default=0, metavar='N', help='up to N requests per connection (HTTP/1.1)')
    p.set_defaults(func=load)
    p = sub.add_parser('hold')
    p.add_argument('host')
    p.add_argument('port', type=int)
    p.add_argument('count', type=int)
    p.add_argument('--release', required=True)
    p.add_argument('--timeout', type=float, default=10)
    p.add_argument('--max', type=float, default=600)
    p.set_defaults(func=hold)
    p = sub.add_parser('wait-addr')
    p.add_argument('address')
    p.add_argument('--absent', action='store_true')
    p.add_argument('--timeout', type=float, default=30)
    p.set_defaults(func=wait_addr)
    p = sub.add_parser('wait-rs')
    p.add_argument('service')
    p.add_argument('realserver')
    p.add_argument('--absent', action='store_true')
    p.add_argument('--timeout', type=float, default=30)
    p.set_defaults(func=wait_rs)
    p = sub.add_parser('stamp')
    p.add_argument('command', nargs=argparse.REMAINDER)
    p.set_defaults(func=stamp)
    args = parser.parse_args()
    if args.cmd == 'load' and args.open and args.keepalive:
        parser.error('--open and --keepalive: an open loop opens a new connection per request')
    if getattr(args, 'command', None) and args.command[0] == '--':
        args.command = args.command[1:]
    return args.func(args) or 0


if __name__ == '__main__':
    sys.exit(main())
