# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.cluster.path_probe module (plugins/modules/path_probe.py): input checks, and NAT
probes against local listeners. DR and TUN frames need a real segment: the lab's Molecule
scenarios prove them (verify.yml, and the drift step of molecule/mixed/side_effect.yml)."""
import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.modules import path_probe
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.probe_servers import closed_port, http_server


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            path_probe.main()
    return json.loads(capsys.readouterr().out)


def nat(host, port):
    return {'name': 'web-nat', 'host': host, 'mode': 'nat', 'vip': '10.0.0.30', 'port': 8080, 'rip': '127.0.0.1',
            'rport': port}


def test_nat_probes_connect_to_the_real_servers_address(capsys):
    refused = closed_port()
    with http_server() as (_address, port, _server):
        got = run({'probes': [nat('nat1', port), nat('nat2', refused)], 'fail_on_error': False}, capsys)
    assert got['changed'] is False and not got.get('failed')
    assert [(p['host'], p['ok']) for p in got['probes']] == [('nat1', True), ('nat2', False)]
    assert got['probes'][1]['error'] == 'connect to 127.0.0.1:%d: Connection refused' % refused
    assert got['failures'] == ['web-nat nat2 (nat via 127.0.0.1): connect to 127.0.0.1:%d: Connection refused' % refused]


def test_a_failed_probe_fails_the_task_naming_service_and_real_server(capsys):
    got = run({'probes': [nat('nat2', closed_port())]}, capsys)
    assert got['failed'] is True
    assert got['msg'].startswith('1 of 1 real servers failed their forwarding-path probe - web-nat nat2 (nat via 127.0.0.1)')


@pytest.mark.parametrize('args, message', [
    ({'probes': [dict(nat('nat1', 80), mode='masq')]}, "nothing sent: probe web-nat/nat1: mode 'masq'"),
    ({'probes': [nat('nat1', 80), dict(nat('nat2', 80), rip='10.0.0')]}, "nothing sent: probe web-nat/nat2: rip '10.0.0'"),
    ({'probes': [nat('nat1', 80)], 'timeout': 0}, 'nothing sent: timeout 0.0 must be more than 0 seconds'),
])
def test_bad_input_sends_nothing(args, message, capsys):
    got = run(args, capsys)
    assert got['failed'] is True and got['msg'].startswith(message)
    assert 'probes' not in got


def test_a_standby_director_skips_a_nat_real_server_off_its_segments(capsys, monkeypatch):
    # 192.0.2.1 (TEST-NET-1) reached through a gateway: a backup without the DIP skips it.
    real_route = path_probe.Director.route

    def route(self, rip):
        return ('eth0', '10.9.9.9', '10.9.9.1') if rip == '192.0.2.1' else real_route(self, rip)

    monkeypatch.setattr(path_probe.Director, 'route', route)
    with http_server() as (_address, port, _server):
        got = run({'probes': [dict(nat('nat1', 80), rip='192.0.2.1', standby=True),
                              dict(nat('nat2', port), standby=True)]}, capsys)
    assert not got.get('failed') and got['failures'] == []
    assert [(p['ok'], p['skipped']) for p in got['probes']] == [(False, True), (True, False)]
    assert got['probes'][0]['error'].startswith('skipped: 192.0.2.1 is not on a segment of this director')
