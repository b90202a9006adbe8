# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The owner's files (plugins/module_utils/_host_files.py), byte for byte what 0.1 wrote.

fixtures/host_files/OWNER.{ip,sysctl.conf,modules-load.conf,service} are the 0.1 ``host_net``
role's templates (ip-batch.j2, sysctl.conf.j2, modules-load.conf.j2, unit.service.j2) rendered
by Ansible (``ansible_managed | comment`` header, ``host_net__ip_bin: /usr/sbin/ip``) for the
inputs in CASES, so a host converged by 0.1 converges with no file change.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import paths, unit_settings
from ansible_collections.lvs.cluster.plugins.module_utils._host_files import (
    debian_default_auto_off, ip_file, ipvs_unit_file, modules_file, sysctl_file, unit_file, wanted_files,
)
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import parse_state

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', 'host_files')
HEADER = '#\n# Ansible managed\n#\n'

# The template inputs the fixtures were rendered from (host_net__delta.record, host_net_record_extra,
# host_net_boot, host_net_unit_description, host_net_unit_after, host_net_unit_before).
CASES = {
    'director': {
        'boot': 'network', 'description': 'lvs.cluster director: VIPs and DIP',
        'after': ['lvs-cluster-ipvs.service'], 'before': ['keepalived.service'],
        'extra': {'ipvs_scope': ['10.0.0.10', 7]},
        'settings': {},
        'record': {'links': [],
                   'addresses': [{'dev': 'eth1', 'address': '10.0.0.10/32', 'flags': ''},
                                 {'dev': 'eth2', 'address': 'fd00::1/64', 'flags': 'nodad preferred_lft 0'}],
                   'routes': [],
                   'sysctl': {'net.ipv4.ip_forward': '1', 'net.ipv4.vs.conn_reuse_mode': '1'},
                   'sysctl_original': {'net.ipv4.ip_forward': '0'},
                   'modules': ['ip_vs', 'ip_vs_wlc']},
    },
    'dr_realserver': {
        'boot': 'early', 'description': 'lvs.cluster dr_realserver: DR VIPs on vip0', 'after': [], 'before': [],
        'extra': {},
        'settings': {'vip_device': 'vip0'},
        'record': {'links': [{'name': 'vip0', 'kind': 'dummy', 'mtu': None}],
                   'addresses': [{'dev': 'vip0', 'address': '10.0.0.10/32', 'flags': ''}],
                   'routes': [], 'sysctl': {'net.ipv4.conf.all.arp_ignore': '1'}, 'sysctl_original': {},
                   'modules': ['dummy']},
    },
    'nat_realserver': {
        'boot': 'network', 'description': 'lvs.cluster nat_realserver: return route(s) via the director DIP',
        'after': [], 'before': [],
        'extra': {},
        'settings': {},
        'record': {'links': [], 'addresses': [],
                   'routes': [{'dst': '0.0.0.0/0', 'via': '192.168.10.1', 'dev': 'eth1', 'metric': 10},
                              {'dst': '10.9.0.0/16', 'via': '192.168.10.1', 'dev': 'eth2', 'metric': 10}],
                   'sysctl': {}, 'sysctl_original': {}, 'modules': []},
    },
}
OWNERS = sorted(CASES)


def fixture(owner, kind):
    with open(os.path.join(FIXTURES, '%s.%s' % (owner, kind))) as handle:
        return handle.read()


def record_of(owner):
    """The record as the module writes it: the delta's record plus the extra keys (ipvs_scope)."""
    record = dict(CASES[owner]['record'])
    record.update(CASES[owner]['extra'])
    return record


def unit_of(owner):
    case = CASES[owner]
    return dict((key, case[key]) for key in ('boot', 'description', 'after', 'before'))


@pytest.mark.parametrize('owner', OWNERS)
def test_the_unit_settings_are_the_0_1_roles_unit_settings(owner):
    assert unit_settings(owner, CASES[owner]['settings']) == unit_of(owner)


@pytest.mark.parametrize('owner', OWNERS)
def test_ip_batch_file_is_byte_identical(owner):
    text = ip_file(owner, HEADER, record_of(owner), paths(owner))
    assert text == fixture(owner, 'ip')
    assert parse_state(text) == record_of(owner)


@pytest.mark.parametrize('owner', OWNERS)
def test_sysctl_file_is_byte_identical(owner):
    assert sysctl_file(owner, HEADER, record_of(owner)) == fixture(owner, 'sysctl.conf')


@pytest.mark.parametrize('owner', OWNERS)
def test_modules_file_is_byte_identical(owner):
    assert modules_file(HEADER, record_of(owner)) == fixture(owner, 'modules-load.conf')


@pytest.mark.parametrize('owner', OWNERS)
def test_unit_file_is_byte_identical(owner):
    assert unit_file(owner, HEADER, record_of(owner), paths(owner), unit_settings(owner, CASES[owner]['settings'])) \
        == fixture(owner, 'service')


@pytest.mark.parametrize('owner', OWNERS)
def test_wanted_files_hold_the_same_texts(owner):
    files = wanted_files(owner, HEADER, record_of(owner), {}, paths(owner), unit_of(owner))
    where = paths(owner)
    expected = {where['ip_file']: fixture(owner, 'ip'), where['unit_file']: fixture(owner, 'service')}
    if CASES[owner]['record']['sysctl']:
        expected[where['sysctl_file']] = fixture(owner, 'sysctl.conf')
    if CASES[owner]['record']['modules']:
        expected[where['modules_file']] = fixture(owner, 'modules-load.conf')
    assert files == expected


def test_fixtures_are_the_expected_fifteen_files():
    assert sorted(os.listdir(FIXTURES)) == sorted(
        ['%s.%s' % (owner, kind) for owner in OWNERS for kind in ('ip', 'sysctl.conf', 'modules-load.conf', 'service')]
        + ['ipvs-timeouts-%s.service' % name for name in ('none', 'all', 'tcp')])


# --------------------------------------------------------------------------------------
# wanted_files: the sysctl.d and modules-load.d files only while there is (or was) something.
# --------------------------------------------------------------------------------------

NAT = CASES['nat_realserver']['record']


def test_nat_without_sysctls_or_modules_keeps_only_the_ip_file_and_the_unit():
    where = paths('nat_realserver')
    files = wanted_files('nat_realserver', HEADER, NAT, {}, where, unit_of('nat_realserver'))
    assert sorted(files) == sorted([where['ip_file'], where['unit_file']])


def test_a_file_that_listed_entries_before_is_rewritten_empty():
    """A role that dropped its last sysctl/module leaves a header-only file, not the stale list."""
    where = paths('nat_realserver')
    previous = {'sysctl': {'net.ipv4.ip_forward': '1'}, 'modules': ['dummy']}
    files = wanted_files('nat_realserver', HEADER, NAT, previous, where, unit_of('nat_realserver'))
    assert files[where['sysctl_file']] == fixture('nat_realserver', 'sysctl.conf')
    assert files[where['modules_file']] == fixture('nat_realserver', 'modules-load.conf') == HEADER


@pytest.mark.parametrize('previous, present', [
    ({}, set()),
    ({'sysctl': {}, 'modules': []}, set()),
    ({'sysctl': {'k': '1'}}, {'sysctl_file'}),
    ({'modules': ['ipip']}, {'modules_file'}),
    ({'sysctl': {'k': '1'}, 'modules': ['ipip']}, {'sysctl_file', 'modules_file'}),
])
def test_optional_files_follow_the_previous_record(previous, present):
    where = paths('nat_realserver')
    files = wanted_files('nat_realserver', HEADER, NAT, previous, where, unit_of('nat_realserver'))
    assert set(files) == set([where['ip_file'], where['unit_file']] + [where[k] for k in present])


@pytest.mark.parametrize('record, present', [
    ({'sysctl': {'k': '1'}}, {'sysctl_file'}),
    ({'modules': ['dummy']}, {'modules_file'}),
])
def test_optional_files_follow_the_record(record, present):
    where = paths('dr_realserver')
    full = dict({'links': [], 'addresses': [], 'routes': [], 'sysctl': {}, 'sysctl_original': {}, 'modules': []},
                **record)
    files = wanted_files('dr_realserver', HEADER, full, {}, where, unit_settings('dr_realserver', {}))
    assert set(files) == set([where['ip_file'], where['unit_file']] + [where[k] for k in present])


# --------------------------------------------------------------------------------------
# Details of the unit the three fixtures do not show.
# --------------------------------------------------------------------------------------

def test_unit_description_falls_back_to_the_owner():
    unit = dict(unit_of('nat_realserver'), description='')
    assert 'Description=lvs.cluster nat_realserver\n' in unit_file('nat_realserver', HEADER, NAT,
                                                                   paths('nat_realserver'), unit)


def test_early_unit_never_waits_for_networkd_and_tunnels_are_not_created():
    record = {'links': [{'name': 'tunl0', 'kind': 'fallback', 'mtu': 1480}],
              'addresses': [{'dev': 'tunl0', 'address': '10.0.0.20/32', 'flags': ''}], 'routes': []}
    text = unit_file('tun_realserver', HEADER, record, paths('tun_realserver'), unit_settings('tun_realserver', {}))
    assert 'link add' not in text and 'networkd-wait-online' not in text
    assert 'DefaultDependencies=no\n' in text
    assert 'ExecStart=/usr/sbin/ip -force -batch /etc/lvs-cluster/tun_realserver.ip\n' in text


def test_network_unit_waits_only_for_real_devices_once_each():
    record = {'links': [{'name': 'vip0', 'kind': 'dummy', 'mtu': None}],
              'addresses': [{'dev': 'lo', 'address': '10.0.0.1/32', 'flags': ''},
                            {'dev': 'vip0', 'address': '10.0.0.2/32', 'flags': ''},
                            {'dev': 'eth1', 'address': '10.0.0.3/32', 'flags': ''},
                            {'dev': 'eth1', 'address': '10.0.0.4/32', 'flags': ''}],
              'routes': [{'dst': '0.0.0.0/0', 'via': '10.0.0.254', 'dev': 'eth2', 'metric': 10}]}
    text = unit_file('director', HEADER, record, paths('director'), unit_settings('director', {}))
    assert '--timeout=60 --interface=eth1:carrier --interface=eth2:carrier; fi\'\n' in text
    assert 'ExecStartPre=-/usr/sbin/ip link add vip0 type dummy\n' in text


def test_network_unit_without_real_devices_has_no_wait():
    record = {'links': [], 'addresses': [{'dev': 'lo', 'address': '10.0.0.1/32', 'flags': ''}], 'routes': []}
    text = unit_file('director', HEADER, record, paths('director'), unit_settings('director', {}))
    assert 'networkd-wait-online' not in text


def test_header_is_written_as_given():
    text = ip_file('dr_realserver', '# managed by X\n', record_of('dr_realserver'), paths('dr_realserver'))
    assert text == '# managed by X\n' + fixture('dr_realserver', 'ip')[len(HEADER):]
    unit = unit_file('dr_realserver', '# managed by X\n', record_of('dr_realserver'), paths('dr_realserver'),
                     unit_of('dr_realserver'))
    assert unit.startswith('# managed by X\n[Unit]\n')


@pytest.mark.parametrize('name, timeouts', [
    ('none', {}), ('all', {'tcp': 900, 'tcpfin': 120, 'udp': 300}), ('tcp', {'tcp': 900})])
def test_ipvs_restore_unit_is_byte_identical_to_the_0_1_template(name, timeouts):
    """roles/director/templates/ipvs.service.j2 of 0.1, rendered by Ansible with these timeouts."""
    path = os.path.join(FIXTURES, 'ipvs-timeouts-%s.service' % name)
    with open(path) as handle:
        assert ipvs_unit_file(HEADER, timeouts) == handle.read()


@pytest.mark.parametrize('before, after', [
    ('# Debian\nAUTO="true"\nDAEMON="none"\n', '# Debian\nAUTO="false"\nDAEMON="none"\n'),
    ('AUTO=true\nAUTO="true"\n', 'AUTO=true\nAUTO="false"\n'),      # the last one, as lineinfile did
    ('DAEMON="none"', 'DAEMON="none"\nAUTO="false"\n'),              # appended, newline added
    ('', 'AUTO="false"\n'),
    ('AUTO="false"\n', 'AUTO="false"\n'),
])
def test_debians_ipvsadm_default_gets_auto_false(before, after):
    assert debian_default_auto_off(before) == after
