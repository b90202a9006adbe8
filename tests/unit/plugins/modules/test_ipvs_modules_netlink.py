# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ipvs and ipvs_info modules on the netlink backend (a fake transport) and its fallback."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_runner
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import NetlinkRunner
from ansible_collections.lvs.cluster.plugins.modules import ipvs, ipvs_info
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_netlink_sim import FakeNetlink
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_ipvs_runner import (
    LIVE, FakeIpvsadm,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.modules.test_ipvs_modules import (
    MODEL, run_module,
)


@pytest.fixture
def kernel(monkeypatch):
    fake = FakeNetlink(parse_save(LIVE))
    monkeypatch.setattr(_ipvs_runner, 'open_netlink', lambda: NetlinkRunner(fake))
    return fake


def no_ipvsadm(cmd, data=None):
    raise AssertionError('ipvsadm must not run on the netlink backend: %r' % (cmd,))


def test_auto_uses_netlink_and_converges(kernel, capsys, monkeypatch):
    result = run_module(ipvs, {'services': MODEL, '_ansible_diff': True}, no_ipvsadm, capsys,
                        monkeypatch)
    assert result['changed'] is True and result['backend'] == 'netlink', result
    assert 'backend_fallback' not in result
    assert result['diff']['after'] == ('-A -t 10.0.0.10:80 -s wlc\n'
                                       '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n'
                                       '-A -f 42 -s rr -p 300\n'
                                       '-a -f 42 -r 10.0.0.31:0 -m -w 2\n')
    assert len(kernel.batches) == 1
    again = run_module(ipvs, {'services': MODEL}, no_ipvsadm, capsys, monkeypatch)
    assert again['changed'] is False and len(kernel.batches) == 1


def test_backend_ipvsadm_is_selectable(kernel, capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': MODEL, 'backend': 'ipvsadm'}, fake, capsys, monkeypatch)
    assert result['backend'] == 'ipvsadm' and len(fake.writes()) == 1 and kernel.batches == []


def test_auto_falls_back_to_ipvsadm_and_says_why(capsys, monkeypatch):
    fake = FakeIpvsadm()
    result = run_module(ipvs, {'services': MODEL}, fake, capsys, monkeypatch)
    assert result['backend'] == 'ipvsadm' and result['changed']
    assert 'no generic netlink family "IPVS"' in result['backend_fallback']


def test_backend_netlink_without_the_family_fails_clearly(capsys, monkeypatch):
    result = run_module(ipvs, {'services': MODEL, 'backend': 'netlink'}, FakeIpvsadm(), capsys,
                        monkeypatch)
    assert result['failed'] and result['msg'] == (
        'IPVS netlink CTRL_CMD_GETFAMILY IPVS failed: no generic netlink family "IPVS" (test host)')
    assert result['op'] == 'CTRL_CMD_GETFAMILY IPVS' and result['errno'] == 2
    assert 'exception' not in result


def test_netlink_failure_names_the_command(capsys, monkeypatch):
    fake = FakeNetlink(parse_save(LIVE), fail=lambda line, n: n == 1 and '10.0.0.31' in line)
    monkeypatch.setattr(_ipvs_runner, 'open_netlink', lambda: NetlinkRunner(fake))
    original = fake.sim.table.copy()
    result = run_module(ipvs, {'services': MODEL}, no_ipvsadm, capsys, monkeypatch)
    assert result['failed'] and result['backend'] == 'netlink'
    assert '-a -f 42 -r 10.0.0.31:0 -m -w 2: Cannot allocate memory (ENOMEM)' in result['msg']
    assert result['restore']['status'] == 'restored' and fake.sim.table == original


def test_ipvs_info_on_netlink(kernel, capsys, monkeypatch):
    result = run_module(ipvs_info, {'rates': True}, no_ipvsadm, capsys, monkeypatch)
    assert result['backend'] == 'netlink' and result['ipvs']['loaded'] is True
    assert [s['address'] for s in result['ipvs']['services']] == ['10.0.0.10', '10.0.0.20']
    assert result['ipvs']['services'][0]['rates']['cps'] == 0


def test_ipvs_info_without_family_or_ipvsadm_is_not_loaded(capsys, monkeypatch):
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path',
                        lambda self, name, required=False, opt_dirs=None: None)
    for args in ({}, {'backend': 'netlink'}):
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                ipvs_info.main()
        result = json.loads(capsys.readouterr().out)
        assert result['backend'] is None and result['ipvs']['loaded'] is False, result
        assert 'no generic netlink family' in result['ipvs']['error']
    with patch_module_args({'services': MODEL}):
        with pytest.raises(SystemExit):
            ipvs.main()
    result = json.loads(capsys.readouterr().out)
    assert result['failed'] and result['msg'].startswith('IPVS is not reachable: IPVS netlink ')
    assert result['msg'].endswith('and the fallback, ipvsadm, is not installed')
