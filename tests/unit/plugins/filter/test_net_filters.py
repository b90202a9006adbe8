# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host network filters (plugins/filter/net.py) over the pure delta core."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.filter.net import FilterModule

FILTERS = FilterModule().filters()
NAMES = ['net_delta', 'net_state', 'net_state_line', 'net_boot_lines', 'net_route_families']

VIP = {'dev': 'lo', 'address': '10.0.0.10/32', 'flags': ''}
LO = {'ifindex': 1, 'ifname': 'lo', 'flags': ['LOOPBACK', 'UP', 'LOWER_UP'], 'mtu': 65536,
      'addr_info': [{'family': 'inet', 'local': '127.0.0.1', 'prefixlen': 8}]}
DESIRED = {'links': [], 'addresses': [VIP], 'routes': [],
           'sysctl': {'net.ipv4.conf.all.arp_ignore': 1}, 'modules': []}


def test_the_five_filters_are_registered():
    assert set(NAMES) <= set(FILTERS)
    assert all(callable(FILTERS[name]) for name in NAMES)


def test_net_delta_with_defaults_for_everything_but_desired():
    result = FILTERS['net_delta'](DESIRED)
    assert result['lines'] == ['addr replace 10.0.0.10/32 dev lo']
    assert result['set_sysctl'] == ['net.ipv4.conf.all.arp_ignore=1']
    assert result['changed'] is True


def test_net_delta_with_the_live_state_as_the_role_reads_it():
    live = [dict(LO, addr_info=LO['addr_info'] + [{'family': 'inet', 'local': '10.0.0.10', 'prefixlen': 32}])]
    result = FILTERS['net_delta'](DESIRED, {'addresses': [VIP]}, live, [[]],
                                  ['net.ipv4.conf.all.arp_ignore = 1'], True)
    assert result['lines'] == [] and result['changed'] is False


@pytest.mark.parametrize('prune, lines', [
    (True, ['addr del 10.0.0.11/32 dev lo']), (1, ['addr del 10.0.0.11/32 dev lo']),
    (False, []), (0, []), (None, []), ('', []),
])
def test_net_delta_prune_is_a_truth_value(prune, lines):
    stale = dict(VIP, address='10.0.0.11/32')
    live = [dict(LO, addr_info=LO['addr_info'] + [{'local': '10.0.0.10', 'prefixlen': 32},
                                                  {'local': '10.0.0.11', 'prefixlen': 32}])]
    result = FILTERS['net_delta']({'addresses': [VIP]}, {'addresses': [VIP, stale]}, live, [], [], prune)
    assert result['lines'] == lines


@pytest.mark.parametrize('desired', [None, [], ['addresses'], 'links', 42])
def test_net_delta_refuses_a_desired_state_that_is_not_a_dict(desired):
    with pytest.raises(AnsibleFilterError, match='desired must be a dict'):
        FILTERS['net_delta'](desired)


@pytest.mark.parametrize('desired, previous, ip_addr', [
    ({'links': [{'kind': 'dummy', 'mtu': None}]}, None, None),                        # link without name
    ({'links': [{'name': 'lvs0', 'mtu': None}]}, None, None),                         # link without kind
    ({'addresses': [{'address': '10.0.0.10/32'}]}, None, None),                       # address without dev
    ({'routes': [{'dst': '0.0.0.0/0', 'via': '10.0.1.1', 'dev': 'eth0'}]}, None, None),  # route without metric
    ({'sysctl': ['net.ipv4.ip_forward']}, None, None),                                # sysctl not a dict
    ({}, {'addresses': [{'address': '10.0.0.10/32'}]}, None),                         # malformed record
    ({}, {'links': [{'kind': 'dummy'}]}, None),                                       # malformed record link
    ({}, None, 'not a listing'),                                                      # ip -j addr not parsed
])
def test_net_delta_reports_malformed_input_as_a_filter_error(desired, previous, ip_addr):
    with pytest.raises(AnsibleFilterError, match='malformed input'):
        FILTERS['net_delta'](desired, previous, ip_addr)


def test_net_state_and_state_line_round_trip():
    record = {'addresses': [VIP], 'sysctl': {'net.ipv4.conf.all.arp_ignore': '1'}}
    line = FILTERS['net_state_line'](record)
    assert line.startswith('# lvs-cluster-state: ')
    assert FILTERS['net_state']('# Ansible managed\n' + line + '\naddr replace 10.0.0.10/32 dev lo\n') == record


@pytest.mark.parametrize('text', ['', None, 'link set lo up', '# lvs-cluster-state: {broken'])
def test_net_state_without_a_record_is_empty(text):
    assert FILTERS['net_state'](text) == {}


def test_net_boot_lines():
    record = {'links': [{'name': 'lvs0', 'kind': 'dummy', 'mtu': None}],
              'addresses': [{'dev': 'lvs0', 'address': '10.0.0.10/32', 'flags': ''}],
              'routes': [{'dst': '0.0.0.0/0', 'via': '10.0.1.1', 'dev': 'eth0', 'metric': 10}]}
    assert FILTERS['net_boot_lines'](record) == [
        'link set lvs0 up', 'addr replace 10.0.0.10/32 dev lvs0',
        'route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10']
    assert FILTERS['net_boot_lines'](None) == []
    assert FILTERS['net_boot_lines']({}) == []


def test_net_route_families():
    v4 = {'dst': '0.0.0.0/0', 'via': '10.0.1.1', 'dev': 'eth0', 'metric': 10}
    v6 = {'dst': '::/0', 'via': 'fd00:1::1', 'dev': 'eth0', 'metric': 10}
    assert FILTERS['net_route_families']([]) == []
    assert FILTERS['net_route_families']([v4]) == ['-4']
    assert FILTERS['net_route_families']([v6]) == ['-6']
    assert FILTERS['net_route_families']([v4], {'routes': [v6]}) == ['-4', '-6']
    assert FILTERS['net_route_families']([], {'routes': [v6]}) == ['-6']


def test_net_interface_of_finds_the_interface_holding_an_address():
    live = [{'ifname': 'lo', 'addr_info': [{'local': '127.0.0.1', 'prefixlen': 8}]},
            {'ifname': 'eth1', 'addr_info': [{'local': '10.0.0.11', 'prefixlen': 24}, {'local': '2001:db8::11', 'prefixlen': 64}]}]
    interface_of = FilterModule().filters()['net_interface_of']
    assert interface_of(live, '10.0.0.11/24') == 'eth1'
    assert interface_of(live, '2001:DB8:0::11/64') == 'eth1'
    assert interface_of(live, '10.0.0.99') == ''
    assert interface_of([], '') == ''
