# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.cluster.keepalived module against a simulated director.

``run_command`` answers ``keepalived -t`` (accepting, or rejecting with keepalived's message),
``systemctl``, ``ip -o addr`` and ``ipvsadm -Sn`` (a table that, like keepalived after a
reload, shows the plan once a reload happened); the config lives below tmp_path.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils._keepalived_plan import planned_table
from ansible_collections.lvs.cluster.plugins.modules import keepalived
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_keepalived import VIEW


class FakeDirector(object):
    def __init__(self, active=True, table='', reject=None):
        self.active = active
        self.table = table
        self.reject = reject          # keepalived -t stderr, or None to accept
        self.daemons = []             # running kernel sync daemons: 'master', 'backup'
        self.calls = []

    def writes(self):
        return [c for c in self.calls if c.startswith(('systemctl reload', 'systemctl start', 'systemctl stop',
                                                       'systemctl enable', 'systemctl disable'))]

    def __call__(self, cmd, data=None):
        argv = [str(a) for a in cmd]
        text = ' '.join(argv)
        self.calls.append(text)
        if argv[:2] == ['/usr/sbin/keepalived', '-t']:
            return (5, '', self.reject) if self.reject else (0, '', '')
        if argv[:2] == ['systemctl', 'is-active']:
            return (0 if self.active else 3), '', ''
        if argv[:2] == ['systemctl', 'is-enabled']:
            return 0, '', ''
        if argv[:2] == ['systemctl', 'reload'] or argv[:2] == ['systemctl', 'start']:
            # keepalived applies the new config: the table now holds the plan.
            self.table = self.planned
            self.active = True
            return 0, '', ''
        if argv[0] == 'systemctl':
            return 0, '', ''
        if argv[:3] == ['ip', '-o', 'addr']:
            return 0, '2: eth1    inet 10.0.0.1/24 scope global eth1\n', ''
        if argv[1:] == ['-L', '--daemon']:
            return 0, ''.join('%s sync daemon (mcast=eth1, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, '
                              'ttl=1)\n' % d for d in self.daemons), ''
        if argv[1] == '--stop-daemon':
            self.daemons.remove(argv[2])
            return 0, '', ''
        if argv[-1] == '-Sn':
            return 0, self.table, ''
        raise AssertionError('unexpected command %s' % text)


def run(args, fake, capsys, monkeypatch, check=False):
    monkeypatch.setattr(basic.AnsibleModule, 'run_command',
                        lambda self, cmd, data=None, binary_data=False, **kw: fake(cmd, data))
    args = dict(args, keepalived_path='/usr/sbin/keepalived', ipvsadm_path='/usr/sbin/ipvsadm', settle_timeout=1,
                unit_dropin=os.path.join(os.path.dirname(args['path']), 'keepalived.service.d', 'lvs-cluster.conf'),
                _ansible_check_mode=check, _ansible_diff=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            keepalived.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def conf(tmp_path):
    return str(tmp_path / 'keepalived.conf')


def _fake(**kw):
    fake = FakeDirector(**kw)
    fake.planned = planned_table(VIEW).render()
    return fake


def test_first_run_tests_then_reloads_and_sees_the_plan(conf, capsys, monkeypatch):
    fake = _fake()
    out = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['changed'] and out['config_changed'] and out['action'] == 'reload', out
    assert fake.writes() == ['systemctl reload keepalived']
    assert any(c.startswith('/usr/sbin/keepalived -t -f ') for c in fake.calls)
    assert os.access(os.path.join(os.path.dirname(conf), 'lvs-cluster-alive'), os.X_OK)
    assert 'vrrp_instance lvs_edge' in open(conf).read()
    # Everything keepalived will write, as ipvsadm lines, predicted from the (empty) live table.
    assert '-A -t 10.0.0.10:80 -s rr' in out['ipvs_commands']
    again = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert not again['changed'] and again['action'] == 'none' and again['ipvs_commands'] == []
    assert fake.writes() == ['systemctl reload keepalived']


def test_a_rejected_config_never_replaces_the_running_one(conf, capsys, monkeypatch):
    with open(conf, 'w') as handle:
        handle.write('# the running config\n')
    fake = _fake(reject='(keepalived.conf: Line 9) Unknown keyword \'bogus\'')
    out = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['failed'] and "Unknown keyword 'bogus'" in out['msg'] and 'running config is unchanged' in out['msg']
    assert open(conf).read() == '# the running config\n'
    assert fake.writes() == []
    assert [f for f in os.listdir(os.path.dirname(conf)) if 'staged' in f] == []


def test_check_mode_predicts_one_weight_change_and_changes_nothing(conf, capsys, monkeypatch):
    fake = _fake()
    run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    before = open(conf).read()
    changed = json.loads(json.dumps(VIEW))
    changed['virtual_servers'][0]['realservers'][0]['weight'] = 4
    out = run({'view': changed, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch, check=True)
    assert out['changed'] and out['action'] == 'reload'
    assert out['ipvs_commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 4']
    assert open(conf).read() == before and fake.writes() == ['systemctl reload keepalived']
    assert 'weight 4' in out['diff'][0]['after'] and 'weight 4' not in out['diff'][0]['before']


def test_a_reload_that_does_not_show_the_plan_fails(conf, capsys, monkeypatch):
    fake = _fake()
    fake.planned = ''   # keepalived's reload leaves the table empty
    out = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['failed'] and 'do not match the plan' in out['msg'] and 'service -t 10.0.0.10:80 is missing' in out['msg']


def test_drain_goes_through_the_config(conf, capsys, monkeypatch):
    fake = _fake()
    run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    fake.planned = fake.planned.replace('-r 10.0.0.11:80 -g -w 1', '-r 10.0.0.11:80 -g -w 0')
    out = run({'view': VIEW, 'router_id': 'lb1', 'path': conf, 'drain': ['10.0.0.11']}, fake, capsys, monkeypatch)
    assert out['ipvs_commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 0'], out
    assert 'weight 0' in open(conf).read()


def test_absent_removes_only_a_config_it_wrote(conf, capsys, monkeypatch):
    with open(conf, 'w') as handle:
        handle.write('global_defs {\n}\n')
    fake = _fake()
    out = run({'state': 'absent', 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert not out['changed'] and os.path.exists(conf) and fake.writes() == []
    run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    out = run({'state': 'absent', 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['changed'] and out['action'] == 'stop' and not os.path.exists(conf)
    assert fake.writes()[-2:] == ['systemctl stop keepalived', 'systemctl disable keepalived']


def test_the_unit_drop_in_waits_for_the_unicast_source_and_is_loaded_before_the_first_start(conf, capsys, monkeypatch):
    fake = _fake(active=False)
    out = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    dropin = os.path.join(os.path.dirname(conf), 'keepalived.service.d', 'lvs-cluster.conf')
    assert out['unit_changed'] is True and out['action'] == 'start'
    text = open(dropin).read()
    assert "until ip -o addr show to %s | grep -v tentative" % VIEW['vrrp']['unicast_src'].split('/', maxsplit=1)[0] in text
    assert fake.calls.index('systemctl daemon-reload') < fake.calls.index('systemctl start keepalived')
    # Unchanged on the next run: no daemon-reload, and nothing else to do.
    fake.calls = []
    again = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['unit_changed'] is False
    assert 'systemctl daemon-reload' not in fake.calls
    # A director out of its group (no VRRP) keeps no drop-in of ours.
    alone = dict(VIEW, vrrp=None)
    fake.calls = []
    out = run({'view': alone, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['unit_changed'] is True and not os.path.exists(dropin) and 'systemctl daemon-reload' in fake.calls
    # state=absent removes it with the config.
    run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert os.path.exists(dropin)
    run({'state': 'absent', 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert not os.path.exists(dropin)


def test_sync_off_stops_the_kernel_sync_daemons_keepalived_leaves_running(conf, capsys, monkeypatch):
    fake = _fake()
    run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    fake.daemons = ['master', 'backup']
    # Sync on: the daemons are keepalived's, left alone.
    again = run({'view': VIEW, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['sync_daemons_stopped'] == [] and fake.daemons == ['master', 'backup']
    unsynced = dict(VIEW, vrrp=dict(VIEW['vrrp'], sync=False))
    fake.calls = []
    check = run({'view': unsynced, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch, check=True)
    assert check['changed'] and check['sync_daemons_stopped'] == ['master', 'backup'] and fake.daemons == ['master', 'backup']
    out = run({'view': unsynced, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert out['sync_daemons_stopped'] == ['master', 'backup'] and fake.daemons == []
    assert 'lvs_sync_daemon' not in open(conf).read()
    # After the reload, which would otherwise start them again on a VRRP transition.
    assert fake.calls.index('systemctl reload keepalived') < fake.calls.index('/usr/sbin/ipvsadm --stop-daemon master')
    again = run({'view': unsynced, 'router_id': 'lb1', 'path': conf}, fake, capsys, monkeypatch)
    assert again['changed'] is False and again['sync_daemons_stopped'] == []
