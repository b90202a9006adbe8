# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe core (plugins/module_utils/_probe.py) against local listeners on 127.0.0.1 and ::1."""
import socket

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._probe import (
    MAX_ERRORS, ProbeError, failures, parse_answer, probe_entry, probe_plan, totals,
)
from ansible_collections.lvs.cluster.plugins.module_utils._verify_report import plan
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.probe_servers import (
    closed_port, entry, has_ipv6_loopback, http_server, raw_server, silent_port,
)

LOOPBACKS = ['127.0.0.1', pytest.param('::1', marks=pytest.mark.skipif(not has_ipv6_loopback(), reason='no IPv6 loopback'))]


@pytest.mark.parametrize('address', LOOPBACKS)
def test_http_counts_answers_by_their_first_line(address):
    with http_server(address, name='rs1') as (vip, port, server):
        got = probe_entry(entry('web', vip, port, 'http', 3))
    assert (got['sent'], got['succeeded'], got['failed'], got['errors']) == (3, 3, 0, [])
    assert got['answers'] == {'rs1': 3}
    # One HTTP/1.0 request per connection, the plan's entry carried over.
    assert [r[0] for r in server.requests] == ['HTTP/1.0'] * 3
    assert (got['name'], got['vip'], got['port'], got['method'], got['requests']) == ('web', vip, port, 'http', 3)


@pytest.mark.parametrize('address', LOOPBACKS)
def test_host_header_is_the_url_host_with_the_port(address):
    with http_server(address) as (vip, port, server):
        got = probe_entry(entry('web', vip, port, 'http', 1), path='/host')
    want = '[%s]:%d' % (vip, port) if ':' in vip else '%s:%d' % (vip, port)
    assert got['answers'] == {want: 1}
    assert server.requests == [('HTTP/1.0', '/host', want)]


@pytest.mark.parametrize('address', LOOPBACKS)
def test_tcp_connects_and_closes(address):
    with http_server(address) as (vip, port, server):
        got = probe_entry(entry('web', vip, port, 'tcp', 4))
    assert (got['sent'], got['succeeded'], got['failed'], got['answers']) == (4, 4, 0, {})
    assert server.requests == []          # no request sent, only connections


@pytest.mark.parametrize('address', LOOPBACKS)
def test_refused_connections_fail_with_their_error_text(address):
    port = closed_port(address)
    got = probe_entry(entry('web', address, port, 'tcp', 7))
    assert (got['sent'], got['succeeded'], got['failed']) == (7, 0, 7)
    assert len(got['errors']) == MAX_ERRORS
    assert got['errors'][0].endswith('] Connection refused')
    assert [e.split(':')[0] for e in got['errors']] == ['#1', '#2', '#3', '#4', '#5']
    line = failures([got])
    host = '[%s]' % address if ':' in address else address
    assert line == ['web %s:%d (tcp): 7 of 7 connections failed: %s, ...' % (host, port, ', '.join(got['errors']))]


def test_http_statuses_2xx_and_3xx_pass_others_fail():
    with http_server() as (vip, port, _server):
        moved = probe_entry(entry('web', vip, port, 'http', 2), path='/moved')
        broken = probe_entry(entry('web', vip, port, 'http', 2), path='/broken')
    assert (moved['succeeded'], moved['answers']) == (2, {'see /': 2})
    assert (broken['failed'], broken['answers']) == (2, {})
    assert broken['errors'] == ['#1: HTTP 500 Internal Server Error', '#2: HTTP 500 Internal Server Error']


def test_a_connection_that_takes_longer_than_the_timeout_fails():
    with http_server() as (vip, port, _server):
        got = probe_entry(entry('web', vip, port, 'http', 1), path='/slow', timeout=0.3)
    assert got['errors'] == ['#1: timed out after 0.3 s']
    with silent_port() as (vip, port):
        # The kernel accepts the connection: tcp succeeds, http waits for an answer in vain.
        assert probe_entry(entry('web', vip, port, 'tcp', 2), timeout=0.3)['succeeded'] == 2
        assert probe_entry(entry('web', vip, port, 'http', 1), timeout=0.3)['errors'] == ['#1: timed out after 0.3 s']


def test_the_timeout_covers_the_connect():
    def connect(address, timeout):
        assert 4.9 < timeout <= 5
        raise socket.timeout('timed out')
    got = probe_entry(entry('web', '10.0.0.10', 80, 'tcp', 1), connect=connect)
    assert got['errors'] == ['#1: timed out after 5 s']


def test_answers_that_are_not_http_fail():
    with raw_server(b'SSH-2.0-OpenSSH_9.2\r\n') as (vip, port):
        got = probe_entry(entry('ssh', vip, port, 'http', 1))
    assert got['errors'] == ["#1: not an HTTP answer: 'SSH-2.0-OpenSSH_9.2'"]
    with raw_server(b'') as (vip, port):
        got = probe_entry(entry('ssh', vip, port, 'http', 1))
    assert got['errors'] == ['#1: closed without an answer']


def test_parse_answer():
    assert parse_answer(b'HTTP/1.0 200 OK\r\nServer: x\r\n\r\ndr1\nmore') == (200, 'dr1')
    assert parse_answer(b'HTTP/1.1 204 No Content\r\n\r\n') == (204, '')
    assert parse_answer(b'HTTP/1.0 301 Moved\n\n  <html>  \r\n') == (301, '<html>')
    assert parse_answer(b'HTTP/1.0 200 OK\r\n\r\n' + b'x' * 500)[1] == 'x' * 200
    assert parse_answer(b'HTTP/1.0 200 OK\r\n\r\n\xff\xfe')[1] == '\ufffd\ufffd'
    for data, text in [(b'HTTP/1.0 404 Not Found\r\n\r\n', 'HTTP 404 Not Found'),
                       (b'HTTP/1.0 abc\r\n\r\n', "not an HTTP answer: 'HTTP/1.0 abc'"),
                       (b'', 'closed without an answer')]:
        with pytest.raises(Exception) as exc:
            parse_answer(data)
        assert str(exc.value) == text


def test_a_plan_from_verify_plan_is_sent_entry_by_entry():
    with http_server(name='dr1') as (vip, port, _server):
        services = [
            {'name': 'web', 'vip': vip, 'port': port, 'realservers': [{'host': 'a'}, {'host': 'b'}]},
            {'name': 'dns', 'vip': vip, 'port': 53, 'protocol': 'udp', 'realservers': [{'host': 'a'}]},
            {'name': 'mark', 'fwmark': 7, 'realservers': [{'host': 'a'}]},
            {'name': 'api', 'vip': vip, 'port': port, 'realservers': [{'host': 'a'}]},
        ]
        got = probe_plan(plan(services, 'tcp', {'api': 'http'}))
    assert [(r['name'], r['method'], r['sent'], r['succeeded']) for r in got] == [
        ('web', 'tcp', 8, 8), ('dns', 'tcp', 0, 0), ('mark', 'tcp', 0, 0), ('api', 'http', 4, 4)]
    assert got[3]['answers'] == {'dr1': 4}
    assert totals(got) == {'sent': 12, 'succeeded': 12, 'failed': 0}
    assert failures(got) == []


@pytest.mark.parametrize('bad, text', [
    (['x'], "plan entry 0 is not a dict: 'x'"),
    ([{'name': 'web', 'vip': '10.0.0.1', 'port': 80, 'requests': 'many'}], "plan entry web: requests 'many' is not a number"),
    ([{'name': 'web', 'vip': '10.0.0.1', 'port': 80, 'requests': -1}], 'plan entry web: requests -1 is negative'),
    ([{'name': 'web', 'vip': '10.0.0.1', 'port': 80, 'method': 'udp', 'requests': 1}], "plan entry web: method 'udp' is not one of tcp, http"),
    ([{'name': 'web', 'vip': None, 'port': 80, 'requests': 1}], 'plan entry web: no vip'),
    ([{'name': 'web', 'vip': '10.0.0.1', 'port': 0, 'requests': 1}], 'plan entry web: port 0 is not 1-65535'),
    ([{'name': 'web', 'vip': '10.0.0.1', 'port': None, 'requests': 1}], 'plan entry web: port None is not 1-65535'),
    ({'name': 'web'}, "the plan is not a list: {'name': 'web'}"),
])
def test_a_malformed_plan_sends_nothing(bad, text):
    sent = []

    def connect(address, timeout):
        sent.append(address)
        raise AssertionError('nothing may be sent')
    good = entry('first', '10.0.0.1', 80, 'tcp', 1)
    with pytest.raises(ProbeError) as exc:
        probe_plan([good] + bad if isinstance(bad, list) else bad, connect=connect)
    assert str(exc.value) == text.replace('entry 0', 'entry 1')
    assert sent == []


def test_http_path_and_timeout_are_checked():
    with pytest.raises(ProbeError, match='http_path'):
        probe_plan([entry('web', '10.0.0.1', 80, 'http', 1)], path='/a b\r\nX: y')
    with pytest.raises(ProbeError, match='http_path'):
        probe_plan([entry('web', '10.0.0.1', 80, 'http', 1)], path='health')
    with pytest.raises(ProbeError, match='timeout'):
        probe_plan([entry('web', '10.0.0.1', 80, 'tcp', 1)], timeout=0)
    # The path only matters when something is sent over HTTP.
    assert probe_plan([entry('web', '10.0.0.1', 80, 'http', 0)], path='bad')[0]['sent'] == 0
