# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

import pytest
from hypothesis import given, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils import _inet
from ansible_collections.lvs.cluster.plugins.module_utils._inet import (
    bracketed, canon_address, canonical, hostport, is_ipv6, service_key,
    sort_key,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import service_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import parse_inventory
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab


def test_canon_address_families_brackets_and_errors():
    assert canon_address('10.0.0.1') == ('10.0.0.1', 'inet')
    assert canon_address('[2001:0DB8::0010]') == ('2001:db8::10', 'inet6')
    assert canon_address('::ffff:10.0.0.1') == ('::ffff:a00:1', 'inet6')
    for text in ('lb.example', '010.0.0.1', '10.0.0.256', '', '10.0.0.1/24'):
        with pytest.raises(ValueError):
            canon_address(text)


@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_canon_address_fast_path_agrees_with_ipaddress(ip):
    _inet.clear_caches()
    for text in (str(ip), ip.exploded, ip.exploded.upper()):
        assert canon_address(text) == (str(ip), 'inet6' if ip.version == 6 else 'inet')
        # Cached answers are the same answers.
        assert canon_address(text) == (str(ip), 'inet6' if ip.version == 6 else 'inet')


def test_canonical_is_lenient():
    assert canonical('2001:DB8::0010') == '2001:db8::10'
    assert canonical('[2001:db8::10]') == '2001:db8::10'
    assert canonical('eth0') == 'eth0' and canonical('') == ''


def test_family_of_text():
    assert is_ipv6('2001:db8::1') and is_ipv6('[::1]') and is_ipv6('fe80::1/64')
    assert not is_ipv6('10.0.0.1') and not is_ipv6('') and not is_ipv6(None)


def test_sort_key_is_numeric_v4_first():
    addresses = ['10.0.0.10', '2001:db8::1', '10.0.0.9', '9.255.255.255', '::1']
    assert sorted(addresses, key=sort_key) == ['9.255.255.255', '10.0.0.9', '10.0.0.10', '::1', '2001:db8::1']
    assert sort_key('10.0.0.1') == (4, int(ipaddress.IPv4Address('10.0.0.1')))


def test_host_forms():
    assert bracketed('2001:db8::1') == '[2001:db8::1]' and bracketed('10.0.0.1') == '10.0.0.1'
    assert hostport('2001:db8::1', 80) == '[2001:db8::1]:80'
    assert hostport('10.0.0.1', 0) == '10.0.0.1:0'


def test_service_key_shapes():
    assert service_key('tcp', '10.0.0.10', 80) == ('tcp', '10.0.0.10', 80)
    assert service_key(None, None, None, 42, 'inet6') == ('fwm', 'inet6', 42)
    assert service_key('tcp', '10.0.0.10', 80, 42) == ('fwm', 'inet', 42)


def _inventory_weight_errors(weight):
    lab = Lab()
    lab.service('web-dr')['realservers'][0]['weight'] = weight
    _model, findings = parse_inventory(*lab.args())
    return [f.message for f in findings if 'weight' in f.message]


def test_the_two_weight_limits():
    # The inventory contract (docs/inventory.md): 0-65535.
    assert _inventory_weight_errors(_inet.INVENTORY_MAX_WEIGHT) == []
    assert _inventory_weight_errors(_inet.INVENTORY_MAX_WEIGHT + 1)
    # The ipvs module: whatever the kernel can hold (a signed 32-bit int).
    spec = {'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11'}]}
    spec['realservers'][0]['weight'] = _inet.IPVS_MAX_WEIGHT
    assert service_from_spec(spec).realservers[('10.0.0.11', 80)].weight == 2147483647
    spec['realservers'][0]['weight'] = _inet.IPVS_MAX_WEIGHT + 1
    with pytest.raises(IpvsError, match='outside 0..2147483647'):
        service_from_spec(spec)
