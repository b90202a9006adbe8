# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.filter.ipvs import ipvs_rules
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import restore_file
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


def test_ipvs_module_rules_declare_the_same_table(capsys, monkeypatch):
    fake = FakeIpvsadm()
    run_module(ipvs, {'services': MODEL}, fake, capsys, monkeypatch)
    writes = len(fake.writes())
    again = run_module(ipvs, {'rules': ipvs_rules(MODEL)}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['commands'] == [] and len(fake.writes()) == writes


@pytest.mark.parametrize('args,fragment', [
    ({'services': MODEL, 'rules': ''}, 'mutually exclusive: services|rules'),
    ({}, 'one of the following is required: services, rules'),
    ({'rules': '-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11:81 -g\n'},
     'rules line 2.port: dr real servers must use the service port 80'),
])
def test_ipvs_module_rules_refusals(args, fragment, capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, args, fake, capsys, monkeypatch)
    assert result['failed'] and fragment in result['msg'], result['msg']
    assert fake.calls == []


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


def test_ipvs_info_goes_through_the_runner(capsys, monkeypatch):
    # Same reads, same failure shape as the ipvs module (Runner.run).
    calls = []

    def broken(cmd, data=None):
        calls.append(cmd)
        return 1, '', 'boom\n'
    result = run_module(ipvs_info, {'rates': True}, broken, capsys, monkeypatch)
    assert result['failed'] and result['msg'] == '/usr/sbin/ipvsadm -Ln failed (rc=1): boom'
    assert (result['cmd'], result['rc'], result['stderr']) == ('/usr/sbin/ipvsadm -Ln', 1, 'boom\n')
    assert calls == [['/usr/sbin/ipvsadm', '-Ln']]


# --------------------------------------------------------------------- save

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='the save file is owned by root')


def ipvs_services(fake):
    """The simulated live table as the module's services option."""
    return fake.sim.table.to_data()


def sn_calls(fake):
    return [c for c in fake.calls if c[0] == ['-Sn']]


def live_restore_file(fake):
    return restore_file(fake(['ipvsadm', '-Sn'])[1])


@needs_root
def test_ipvs_save_writes_the_live_table_after_a_change(tmp_path, capsys, monkeypatch):
    rules = tmp_path / 'ipvsadm.rules'
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': MODEL, 'save': str(rules), '_ansible_diff': True},
                        fake, capsys, monkeypatch)
    assert result['changed'] is True and result['saved'] is True
    # Read before the delta and again after the batch.
    assert len(sn_calls(fake)) == 2 and len(fake.writes()) == 1
    content = rules.read_text()
    assert content == live_restore_file(fake)
    assert content == ('-A -f 42 -s rr -p 300\n'
                       '-A -t 10.0.0.10:80 -s wlc\n'
                       '-a -f 42 -r 10.0.0.31:0 -m -w 2\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')
    assert stat.S_IMODE(os.stat(str(rules)).st_mode) == 0o600
    assert os.stat(str(rules)).st_uid == 0 and os.stat(str(rules)).st_gid == 0
    assert os.listdir(str(tmp_path)) == ['ipvsadm.rules']  # no temporary file left
    table_diff, file_diff = result['diff']
    assert table_diff['after_header'] == 'ipvsadm -Sn (declared)'
    assert file_diff == {'before': '', 'after': content, 'before_header': str(rules),
                         'after_header': str(rules)}
    # Converged: one -Sn read serves the delta and the file; nothing is written.
    fake.calls = []
    again = run_module(ipvs, {'services': MODEL, 'save': str(rules)}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['saved'] is False
    assert fake.calls == [(['-Sn'], None)]
    assert 'diff' not in again


@needs_root
def test_ipvs_save_repairs_the_file_without_touching_the_table(tmp_path, capsys, monkeypatch):
    rules = tmp_path / 'ipvsadm.rules'
    fake = FakeIpvsadm()
    rules.write_text('stale\n')
    os.chmod(str(rules), 0o644)
    result = run_module(ipvs, {'services': MODEL, 'save': str(rules), 'purge': False,
                               '_ansible_check_mode': True}, fake, capsys, monkeypatch)
    # Check mode, table would change: the file counts as changing, nothing is written.
    assert result['changed'] and result['saved'] is True and fake.writes() == []
    assert rules.read_text() == 'stale\n'
    # No table change (timeouts only): the file is fixed from the one -Sn read.
    live = [dict(svc) for svc in ipvs_services(fake)]
    fake.calls = []
    result = run_module(ipvs, {'services': live, 'save': str(rules), 'timeouts': {'udp': 60}},
                        fake, capsys, monkeypatch)
    assert result['changed'] and result['saved'] is True
    assert len(sn_calls(fake)) == 1 and fake.writes()[0][1] == '--set 0 0 60\n'
    assert rules.read_text() == live_restore_file(fake)
    assert stat.S_IMODE(os.stat(str(rules)).st_mode) == 0o600
    # A wrong mode alone is a change too.
    os.chmod(str(rules), 0o640)
    result = run_module(ipvs, {'services': live, 'save': str(rules)}, fake, capsys, monkeypatch)
    assert result['changed'] and result['saved'] is True
    assert stat.S_IMODE(os.stat(str(rules)).st_mode) == 0o600


@needs_root
def test_ipvs_save_check_mode(tmp_path, capsys, monkeypatch):
    rules = tmp_path / 'ipvsadm.rules'
    fake = FakeIpvsadm()
    live = [dict(svc) for svc in ipvs_services(fake)]
    # Table unchanged, file missing: would change, is not written.
    result = run_module(ipvs, {'services': live, 'save': str(rules), '_ansible_check_mode': True,
                               '_ansible_diff': True}, fake, capsys, monkeypatch)
    assert result['changed'] and result['saved'] is True and not rules.exists()
    assert result['diff'][1]['after'] == live_restore_file(fake)
    # Table unchanged, file right: no change.
    run_module(ipvs, {'services': live, 'save': str(rules)}, fake, capsys, monkeypatch)
    result = run_module(ipvs, {'services': live, 'save': str(rules), '_ansible_check_mode': True},
                        fake, capsys, monkeypatch)
    assert result['changed'] is False and result['saved'] is False
    # Table would change: the diff predicts the file from the declared table.
    result = run_module(ipvs, {'services': MODEL, 'save': str(rules), '_ansible_check_mode': True,
                               '_ansible_diff': True}, fake, capsys, monkeypatch)
    assert result['saved'] is True and fake.writes() == []
    assert result['diff'][1]['after_header'].endswith('(predicted from the declared table)')
    assert result['diff'][1]['after'].startswith('-A -f 42 -s rr -p 300\n')
    assert rules.read_text() == live_restore_file(fake)


@needs_root
def test_ipvs_save_of_an_empty_table_is_an_empty_file(tmp_path, capsys, monkeypatch):
    rules = tmp_path / 'ipvsadm.rules'
    rules.write_text('-A -t 10.0.0.10:80 -s wlc\n')
    result = run_module(ipvs, {'services': [], 'save': str(rules)}, FakeIpvsadm(), capsys,
                        monkeypatch)
    assert result['saved'] is True and rules.read_text() == ''


def test_ipvs_save_into_a_missing_directory_fails_clearly(tmp_path, capsys, monkeypatch):
    rules = tmp_path / 'missing' / 'ipvsadm.rules'
    fake = FakeIpvsadm()
    live = [dict(svc) for svc in ipvs_services(fake)]
    result = run_module(ipvs, {'services': live, 'save': str(rules)}, fake, capsys, monkeypatch)
    assert result['failed'] and result['msg'].startswith('save: cannot write %s' % rules)
