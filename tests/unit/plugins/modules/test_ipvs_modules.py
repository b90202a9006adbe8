# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.modules import ipvs, ipvs_info
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_ipvs_runner import (
    FakeIpvsadm, NOT_LOADED,
)

MODEL = [{"protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": None,
          "scheduler": "wlc", "persistence_timeout": None,
          "realservers": [{"address": "10.0.0.11", "port": 80, "weight": 1, "forward": "dr"}]},
         {"protocol": None, "address": None, "port": None, "fwmark": 42, "family": "inet",
          "scheduler": "rr", "persistence_timeout": 300,
          "realservers": [{"address": "10.0.0.31", "port": None, "weight": 2, "forward": "nat"}]}]


def run_module(mod, args, fake, capsys, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                        lambda self, cmd, data=None, binary_data=False, **kw: fake(cmd, data))
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                        lambda self, name, required=False, opt_dirs=None: '/usr/sbin/' + name)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            mod.main()
    return json.loads(capsys.readouterr().out)


def test_ipvs_module_applies_model_output(capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': MODEL, '_ansible_diff': True}, fake, capsys,
                        monkeypatch)
    assert result['changed'] is True, result
    assert len(fake.writes()) == 1
    assert result['diff']['after'] == ('-A -t 10.0.0.10:80 -s wlc\n'
                                       '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n'
                                       '-A -f 42 -s rr -p 300\n'
                                       '-a -f 42 -r 10.0.0.31:0 -m -w 2\n')
    again = run_module(ipvs, {'services': MODEL}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['commands'] == []


def test_ipvs_module_check_mode(capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': [], '_ansible_check_mode': True}, fake, capsys,
                        monkeypatch)
    assert result['changed'] and sorted(result['commands']) == [
        '-D -t 10.0.0.10:80', '-D -t 10.0.0.20:443']
    assert fake.writes() == []


def test_ipvs_module_validation_error_is_fail_json(capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': [{'address': 'lb.example', 'port': 80}]}, fake,
                        capsys, monkeypatch)
    assert result['failed'] and 'services[0].address' in result['msg']
    assert fake.calls == []


def test_ipvs_module_not_loaded(capsys, monkeypatch):
    result = run_module(ipvs, {'services': MODEL}, FakeIpvsadm(loaded=False), capsys,
                        monkeypatch)
    assert result['failed'] and 'modprobe ip_vs' in result['msg']
    assert result['stderr'] == NOT_LOADED


def test_ipvs_info_not_loaded(capsys, monkeypatch):
    result = run_module(ipvs_info, {}, FakeIpvsadm(loaded=False), capsys, monkeypatch)
    assert result['changed'] is False and result['ipvs']['loaded'] is False


def test_ipvs_info_reads_everything(capsys, monkeypatch):
    listing = ('IP Virtual Server version 1.2.1 (size=4096)\n'
               'Prot LocalAddress:Port Scheduler Flags\n'
               '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'
               'TCP  10.0.0.10:80 wlc\n'
               '  -> 10.0.0.11:80                 Route   1      2          3\n')
    stats = ('Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n'
             '  -> RemoteAddress:Port\n'
             'TCP  10.0.0.10:80                       5       50        0     4000        0\n'
             '  -> 10.0.0.11:80                       5       50        0     4000        0\n')
    outputs = {('-Ln',): listing, ('-Ln', '--stats', '--exact'): stats,
               ('-Ln', '--timeout'): 'Timeout (tcp tcpfin udp): 900 120 300\n',
               ('-Ln', '--daemon'): ''}

    def fake(cmd, data=None):
        return 0, outputs[tuple(cmd[1:])], ''
    result = run_module(ipvs_info, {}, fake, capsys, monkeypatch)
    svc = result['ipvs']['services'][0]
    assert svc['active_conns'] == 2 and svc['stats']['inbytes'] == 4000
    assert svc['realservers'][0]['stats']['conns'] == 5
    assert result['ipvs']['timeouts']['tcp'] == 900 and result['ipvs']['daemons'] == []
