# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe traffic of ``playbooks/verify.yml``: a whole verify plan sent in one go.

Standard library only (it runs on the probe host), no Ansible. In: the entries of
``lvs.cluster.verify_plan`` (name, vip, host, port, method, requests); out: per entry how
many connections were sent, succeeded and failed, the first errors with their text, and for
HTTP how often each first line of an answer's body came back (the lab's real servers answer
their hostname).

Every request is a new TCP connection, one after the other: ``tcp`` connects and closes,
``http`` sends ``GET <path> HTTP/1.0`` with a Host header, reads the answer to its end and
wants a 2xx or 3xx status. ``timeout`` bounds each connection as a whole (connect, send and
every read), not each socket call.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import time

METHODS = ('tcp', 'http')
DEFAULT_TIMEOUT = 5.0
# Errors kept per entry (the first ones; ``failed`` counts them all).
MAX_ERRORS = 5
# Characters kept of an answer's first body line, and bytes of an answer kept to find it
# (the rest is read and dropped).
MAX_LINE = 200
_KEEP = 65536
_CHUNK = 65536


class ProbeError(Exception):
    """The plan or an option is unusable: nothing was sent for it."""


class _Failed(Exception):
    """One connection failed; the text says why."""


def _remaining(deadline, clock):
    left = deadline - clock()
    if left <= 0:
        raise socket.timeout('timed out')
    return left


def _address(entry):
    return str(entry.get('vip') or '').strip('[]')


def _host_header(entry):
    host = entry.get('host') or ''
    if not host:
        vip = _address(entry)
        host = '[%s]' % vip if ':' in vip else vip
    port = int(entry['port'])
    return host if port == 80 else '%s:%d' % (host, port)


def check_entry(entry, index):
    """Raise ProbeError unless ``entry`` (the ``index``-th) can be sent; entries asking for
    no request (UDP, fwmark) are never looked at further."""
    if not isinstance(entry, dict):
        raise ProbeError('plan entry %d is not a dict: %r' % (index, entry))
    name = entry.get('name') or '#%d' % index
    try:
        requests = int(entry.get('requests') or 0)
    except (TypeError, ValueError):
        raise ProbeError('plan entry %s: requests %r is not a number' % (name, entry.get('requests')))
    if requests < 0:
        raise ProbeError('plan entry %s: requests %d is negative' % (name, requests))
    if requests == 0:
        return requests
    if entry.get('method', 'tcp') not in METHODS:
        raise ProbeError('plan entry %s: method %r is not one of %s' % (name, entry.get('method'), ', '.join(METHODS)))
    if not _address(entry):
        raise ProbeError('plan entry %s: no vip' % name)
    try:
        port = int(entry.get('port'))
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise ProbeError('plan entry %s: port %r is not 1-65535' % (name, entry.get('port')))
    return requests


def check_path(path):
    if not isinstance(path, str) or not path.startswith('/') or any(c.isspace() for c in path):
        raise ProbeError('http_path %r must start with / and hold no blanks or line breaks' % (path,))
    return path


def _open(entry, deadline, connect, clock):
    return connect((_address(entry), int(entry['port'])), _remaining(deadline, clock))


def tcp_once(entry, timeout, connect=socket.create_connection, clock=time.monotonic):
    """Connect, then close."""
    sock = _open(entry, clock() + timeout, connect, clock)
    sock.close()


def _read_all(sock, deadline, clock):
    """The first _KEEP bytes of everything the server sends until it closes."""
    kept = b''
    while True:
        sock.settimeout(_remaining(deadline, clock))
        chunk = sock.recv(_CHUNK)
        if not chunk:
            return kept
        if len(kept) < _KEEP:
            kept += chunk[:_KEEP - len(kept)]


def parse_answer(data):
    """(status, first body line) of an HTTP answer; _Failed when it is none."""
    if not data:
        raise _Failed('closed without an answer')
    head, _sep, body = data.partition(b'\r\n\r\n')
    if not _sep:
        head, _sep, body = data.partition(b'\n\n')
    status_line = head.split(b'\n', 1)[0].strip().decode('latin-1')
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith('HTTP/') or not parts[1].isdigit():
        raise _Failed('not an HTTP answer: %r' % status_line[:MAX_LINE])
    status = int(parts[1])
    if not 200 <= status < 400:
        raise _Failed('HTTP %s' % status_line.split(None, 1)[1][:MAX_LINE])
    line = body.split(b'\n', 1)[0].strip().decode('utf-8', 'replace')[:MAX_LINE]
    return status, line


def http_once(entry, path, timeout, connect=socket.create_connection, clock=time.monotonic):
    """GET ``path`` over HTTP/1.0; the first line of the answer's body."""
    deadline = clock() + timeout
    sock = _open(entry, deadline, connect, clock)
    try:
        request = 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: lvs.cluster.probe\r\nAccept: */*\r\n\r\n' % (
            path, _host_header(entry))
        sock.settimeout(_remaining(deadline, clock))
        sock.sendall(request.encode('ascii', 'replace'))
        data = _read_all(sock, deadline, clock)
    finally:
        sock.close()
    return parse_answer(data)[1]


def _error_text(exc, timeout):
    if isinstance(exc, socket.timeout):
        return 'timed out after %g s' % timeout
    if isinstance(exc, _Failed):
        return str(exc)
    if isinstance(exc, OSError):
        if exc.errno is not None and exc.strerror:
            return '[Errno %s] %s' % (exc.errno, exc.strerror)
        return str(exc) or exc.__class__.__name__
    return '%s: %s' % (exc.__class__.__name__, exc)


def probe_entry(entry, path='/', timeout=DEFAULT_TIMEOUT, connect=socket.create_connection, clock=time.monotonic):
    """Send one plan entry's requests; the entry with sent, succeeded, failed, errors, answers."""
    requests = check_entry(entry, 0)
    result = dict(entry)
    result.update(sent=0, succeeded=0, failed=0, errors=[], answers={})
    for number in range(1, requests + 1):
        result['sent'] += 1
        try:
            if entry.get('method', 'tcp') == 'http':
                line = http_once(entry, path, timeout, connect, clock)
                result['answers'][line] = result['answers'].get(line, 0) + 1
            else:
                tcp_once(entry, timeout, connect, clock)
        except (OSError, _Failed, ValueError, UnicodeError) as exc:
            result['failed'] += 1
            if len(result['errors']) < MAX_ERRORS:
                result['errors'].append('#%d: %s' % (number, _error_text(exc, timeout)))
        else:
            result['succeeded'] += 1
    return result


def probe_plan(plan, path='/', timeout=DEFAULT_TIMEOUT, connect=socket.create_connection, clock=time.monotonic):
    """Every entry of ``plan`` in order (the whole plan is checked before anything is sent)."""
    if not isinstance(plan, list):
        raise ProbeError('the plan is not a list: %r' % (plan,))
    if not timeout or timeout <= 0:
        raise ProbeError('timeout %r must be more than 0 seconds' % (timeout,))
    for index, entry in enumerate(plan):
        check_entry(entry, index)
    if any(e.get('method') == 'http' and int(e.get('requests') or 0) > 0 for e in plan):
        check_path(path)
    return [probe_entry(entry, path, timeout, connect, clock) for entry in plan]


def totals(results):
    return dict((key, sum(r[key] for r in results)) for key in ('sent', 'succeeded', 'failed'))


def failures(results):
    """One line per entry with a failed connection, naming service, VIP:port and errors."""
    out = []
    for r in results:
        if r['failed']:
            vip = _address(r)
            host = r.get('host') or ('[%s]' % vip if ':' in vip else vip)
            out.append('%s %s:%s (%s): %d of %d connections failed: %s' % (
                r.get('name'), host, r.get('port'), r.get('method', 'tcp'), r['failed'], r['sent'],
                ', '.join(r['errors']) + (', ...' if r['failed'] > len(r['errors']) else '')))
    return out
