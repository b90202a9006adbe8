# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.cluster.probe module (plugins/modules/probe.py) against local listeners."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils._verify_report import plan
from ansible_collections.lvs.cluster.plugins.modules import probe
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.probe_servers import (
    closed_port, entry, has_ipv6_loopback, http_server,
)


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            probe.main()
    return json.loads(capsys.readouterr().out)


def test_sends_the_whole_plan_in_one_call_and_changes_nothing(capsys):
    with http_server(name='dr1') as (vip, port, server):
        services = [{'name': 'web', 'vip': vip, 'port': port, 'realservers': [{'host': 'dr1'}, {'host': 'dr2'}]},
                    {'name': 'api', 'vip': vip, 'port': port, 'realservers': [{'host': 'dr1'}]},
                    {'name': 'mark', 'fwmark': 3, 'realservers': [{'host': 'dr1'}]}]
        got = run({'plan': plan(services, 'tcp', {'api': 'http'}), 'http_path': '/'}, capsys)
    assert got['changed'] is False and not got.get('failed')
    assert (got['sent'], got['succeeded'], got['failed_connections'], got['failures']) == (12, 12, 0, [])
    assert [(p['name'], p['sent'], p['succeeded'], p['failed'], p['answers']) for p in got['probes']] == [
        ('web', 8, 8, 0, {}), ('api', 4, 4, 0, {'dr1': 4}), ('mark', 0, 0, 0, {})]
    assert [r[1] for r in server.requests] == ['/'] * 4


@pytest.mark.skipif(not has_ipv6_loopback(), reason='no IPv6 loopback')
def test_ipv6_vip(capsys):
    with http_server('::1', name='v6') as (vip, port, server):
        services = [{'name': 'web6', 'vip': vip, 'port': port, 'realservers': [{'host': 'a'}]}]
        got = run({'plan': plan(services, 'http'), 'http_path': '/health'}, capsys)
    assert got['probes'][0]['answers'] == {'v6': 4}
    assert server.requests[0] == ('HTTP/1.0', '/health', '[::1]:%d' % port)


def test_a_failed_connection_fails_naming_service_vip_port_and_error(capsys):
    port = closed_port()
    with http_server() as (vip, good, _server):
        args = {'plan': [entry('web', vip, good, 'tcp', 2), entry('db', '127.0.0.1', port, 'tcp', 3)]}
        got = run(args, capsys)
        assert got['failed'] is True and got['changed'] is False
        assert got['msg'].startswith('3 of 5 connections failed - db 127.0.0.1:%d (tcp): 3 of 3 connections failed: #1: [Errno ' % port)
        assert 'Connection refused' in got['msg']
        assert got['failed_connections'] == 3 and got['probes'][0]['succeeded'] == 2
        # fail_on_error: false returns the same counts without failing.
        got = run(dict(args, fail_on_error=False), capsys)
    assert not got.get('failed') and got['failed_connections'] == 3
    assert got['failures'] == [got['failures'][0]] and got['failures'][0].startswith('db 127.0.0.1:%d (tcp): 3 of 3' % port)


def test_check_mode_still_probes(capsys):
    with http_server() as (vip, port, server):
        got = run({'plan': [entry('web', vip, port, 'http', 2)], '_ansible_check_mode': True}, capsys)
    assert got['changed'] is False and got['succeeded'] == 2 and len(server.requests) == 2


def test_timeout_option(capsys):
    with http_server() as (vip, port, _server):
        got = run({'plan': [entry('web', vip, port, 'http', 1)], 'http_path': '/slow', 'timeout': 0.3}, capsys)
    assert got['failed'] is True
    assert got['msg'].endswith('web 127.0.0.1:%d (http): 1 of 1 connections failed: #1: timed out after 0.3 s' % port)


def test_a_malformed_plan_fails_before_sending(capsys):
    got = run({'plan': [{'name': 'web', 'vip': '127.0.0.1', 'port': 80, 'method': 'ftp', 'requests': 1}]}, capsys)
    assert got['failed'] is True
    assert got['msg'] == "nothing sent: plan entry web: method 'ftp' is not one of tcp, http"
    assert 'probes' not in got
