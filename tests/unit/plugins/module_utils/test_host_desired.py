# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each real-server role wants on its host (plugins/module_utils/_host_desired.py).

The views come from the validator (``validate`` + ``host_view``) for real inventories; the
live addresses are ``ip -j addr`` output. The director is covered by test_director_desired.py.
Mixed-family real servers (IPv4 and IPv6 VIPs on one host) are rejected by the validator, so
those views are written by hand.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import (
    OWNERS, UNIT, data_interface, desired, empty_view, ipvs_scope, nat_routes, paths, unit_settings,
)
from ansible_collections.lvs.cluster.plugins.module_utils._inet import is_ipv6
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import host_view
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_net_delta import ip_link, ip_lo

EMPTY = {'links': [], 'addresses': [], 'routes': [], 'sysctl': {}, 'modules': []}

# The roles' defaults, as host_net receives them.
DR_DEFAULTS = {'vip_device': 'lo', 'interface': '', 'arp_ignore': 1, 'arp_announce': 2}
TUN_DEFAULTS = {'interface': '', 'arp_ignore': 1, 'arp_announce': 2, 'rp_filter': 0,
                'tunl0_mtu': 1480, 'ip6tnl0_mtu': 1460}
NAT_DEFAULTS = {'interface': '', 'client_networks': [], 'route_metric': 10, 'check_management_path': True}


def views(services, hostvars, groups):
    """host -> full host view of a valid inventory (no error findings)."""
    result = validate(services, hostvars, groups)
    assert [f.message for f in result.findings if f.severity == 'error'] == []
    return lambda name: host_view(result.model, name)


def lab_view(name):
    return views(*Lab().args())(name)


# IPv6 real servers of every kind (the director of test_director_desired.py).
V6_HOSTVARS = {
    'd1': {'lvs_address': 'fd00:10::1/64', 'lvs_director_vip_interface': 'eth1',
           'lvs_director_internal_interface': 'eth2', 'lvs_director_internal_address': 'fd00:192:168:10::1/64'},
    'r1': {'lvs_address': 'fd00:10::11/64'},
    't1': {'lvs_address': 'fd00:10:1::21/64'},
    'n1': {'lvs_address': 'fd00:192:168:10::31/64'},
}
V6_GROUPS = {'all': sorted(V6_HOSTVARS), 'lvs_directors': ['d1'], 'lvs_dr_realservers': ['r1'],
             'lvs_tun_realservers': ['t1'], 'lvs_nat_realservers': ['n1']}
V6_SERVICES = [
    {'name': 'dr6', 'vip': 'fd00:10::10', 'port': 80, 'mode': 'dr', 'realservers': [{'host': 'r1'}]},
    {'name': 'tun6', 'vip': 'fd00:10::20', 'port': 80, 'mode': 'tun', 'realservers': [{'host': 't1'}]},
    {'name': 'nat6', 'vip': 'fd00:10::30', 'port': 8080, 'mode': 'nat', 'realservers': [{'host': 'n1', 'port': 80}]},
]


def v6_view(name):
    return views(V6_SERVICES, V6_HOSTVARS, V6_GROUPS)(name)


def live(*links):
    """``ip -j addr``: lo plus the given (name, [cidr, ...]) links."""
    return [ip_lo()] + [ip_link(name, addrs, ifindex=i + 2) for i, (name, addrs) in enumerate(links)]


def want(owner, name, settings, ip_addr, view_of=lab_view, present=True):
    full = view_of(name)
    return desired(owner, full[owner], settings, full['address'], ip_addr, present)


def arp(*devs, **values):
    out = {}
    for dev in devs:
        out['net.ipv4.conf.%s.arp_ignore' % dev] = str(values.get('ignore', 1))
        out['net.ipv4.conf.%s.arp_announce' % dev] = str(values.get('announce', 2))
    return out


# --------------------------------------------------------------------------------------
# dr_realserver
# --------------------------------------------------------------------------------------

def test_dr_vip_on_lo_with_arp_sysctls_on_all_and_the_live_data_interface():
    got = want('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0', ['10.0.0.11/24'])))
    assert got == {'links': [], 'modules': [], 'routes': [],
                   'addresses': [{'dev': 'lo', 'address': '10.0.0.10/32', 'flags': ''}],
                   'sysctl': arp('all', 'eth0')}


def test_dr_data_interface_follows_the_live_address_not_a_name():
    got = want('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0', ['192.168.1.5/24']), ('ens19', ['10.0.0.11/24'])))
    assert got['sysctl'] == arp('all', 'ens19')


def test_dr_interface_setting_wins_over_the_live_address():
    got = want('dr_realserver', 'dr1', dict(DR_DEFAULTS, interface='bond0'), live(('eth0', ['10.0.0.11/24'])))
    assert got['sysctl'] == arp('all', 'bond0')


def test_dr_vlan_interface_key_uses_a_slash_for_the_dot():
    got = want('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0.100', ['10.0.0.11/24'])))
    assert 'net.ipv4.conf.eth0/100.arp_ignore' in got['sysctl']
    assert got['sysctl'] == {'net.ipv4.conf.all.arp_ignore': '1', 'net.ipv4.conf.all.arp_announce': '2',
                             'net.ipv4.conf.eth0/100.arp_ignore': '1', 'net.ipv4.conf.eth0/100.arp_announce': '2'}


def test_dr_without_the_address_live_sets_only_the_all_keys():
    """The pre-flight fails such a host ([preflight-address]); desired() stays total."""
    got = want('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0', ['192.168.1.5/24'])))
    assert got['sysctl'] == arp('all')


def test_dr_arp_values_are_strings_of_the_settings():
    got = want('dr_realserver', 'dr1', dict(DR_DEFAULTS, arp_ignore=2, arp_announce=1), live(('eth0', ['10.0.0.11/24'])))
    assert got['sysctl'] == arp('all', 'eth0', ignore=2, announce=1)


def test_dr_dummy_device_gets_its_link_and_the_dummy_module():
    got = want('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device='vip0'), live(('eth0', ['10.0.0.11/24'])))
    assert got['links'] == [{'name': 'vip0', 'kind': 'dummy', 'mtu': None}]
    assert got['modules'] == ['dummy']
    assert got['addresses'] == [{'dev': 'vip0', 'address': '10.0.0.10/32', 'flags': ''}]
    assert got['sysctl'] == arp('all', 'eth0')


@pytest.mark.parametrize('device', [None, ''])
def test_dr_empty_vip_device_means_lo(device):
    got = want('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device=device), live(('eth0', ['10.0.0.11/24'])))
    assert got['links'] == [] and got['modules'] == []
    assert [a['dev'] for a in got['addresses']] == ['lo']


def test_dr_dummy_device_without_vips_wants_nothing():
    got = desired('dr_realserver', {'vips': [], 'services': [], 'labels': {}}, dict(DR_DEFAULTS, vip_device='vip0'),
                  '10.0.0.11/24', live(('eth0', ['10.0.0.11/24'])))
    assert got == EMPTY


def test_dr_ipv6_only_vips_get_nodad_and_no_sysctls():
    got = want('dr_realserver', 'r1', DR_DEFAULTS, live(('eth0', ['fd00:10::11/64'])), view_of=v6_view)
    assert got == {'links': [], 'modules': [], 'routes': [], 'sysctl': {},
                   'addresses': [{'dev': 'lo', 'address': 'fd00:10::10/128', 'flags': 'nodad'}]}


def test_dr_ipv6_only_on_a_dummy_device():
    got = want('dr_realserver', 'r1', dict(DR_DEFAULTS, vip_device='vip0'), live(('eth0', ['fd00:10::11/64'])),
               view_of=v6_view)
    assert got['links'] == [{'name': 'vip0', 'kind': 'dummy', 'mtu': None}] and got['modules'] == ['dummy']
    assert got['addresses'] == [{'dev': 'vip0', 'address': 'fd00:10::10/128', 'flags': 'nodad'}]
    assert got['sysctl'] == {}


def test_dr_mixed_vips_set_the_arp_sysctls_for_the_ipv4_ones():
    view = {'vips': ['10.0.0.10/32', 'fd00:10::10/128'], 'services': ['a', 'b'], 'labels': {}}
    got = desired('dr_realserver', view, DR_DEFAULTS, '10.0.0.11/24', live(('eth0', ['10.0.0.11/24'])))
    assert got['addresses'] == [{'dev': 'lo', 'address': '10.0.0.10/32', 'flags': ''},
                                {'dev': 'lo', 'address': 'fd00:10::10/128', 'flags': 'nodad'}]
    assert got['sysctl'] == arp('all', 'eth0')


def test_dr_two_services_two_vips():
    lab = Lab()
    lab.services.append({'name': 'web-dr2', 'vip': '10.0.0.15', 'port': 443, 'mode': 'dr',
                         'realservers': [{'host': 'dr1'}]})
    full = views(*lab.args())('dr1')
    got = desired('dr_realserver', full['dr_realserver'], DR_DEFAULTS, full['address'], live(('eth0', ['10.0.0.11/24'])))
    assert [a['address'] for a in got['addresses']] == ['10.0.0.10/32', '10.0.0.15/32']


# --------------------------------------------------------------------------------------
# tun_realserver
# --------------------------------------------------------------------------------------

def test_tun_ipv4_tunl0_ipip_rp_filter_and_arp():
    got = want('tun_realserver', 'tun1', TUN_DEFAULTS, live(('eth0', ['10.0.1.21/24'])))
    assert got['links'] == [{'name': 'tunl0', 'kind': 'fallback', 'mtu': 1480}]
    assert got['modules'] == ['ipip']
    assert got['addresses'] == [{'dev': 'tunl0', 'address': '10.0.0.20/32', 'flags': ''}]
    assert got['routes'] == []
    expected = {'net.ipv4.conf.tunl0.rp_filter': '0', 'net.ipv4.conf.all.rp_filter': '0'}
    expected.update(arp('all', 'eth0'))
    assert got['sysctl'] == expected


def test_tun_settings_mtu_rp_filter_arp_and_interface():
    settings = dict(TUN_DEFAULTS, tunl0_mtu='1400', rp_filter=2, arp_ignore=8, arp_announce=1, interface='bond0')
    got = want('tun_realserver', 'tun1', settings, live(('eth0', ['10.0.1.21/24'])))
    assert got['links'] == [{'name': 'tunl0', 'kind': 'fallback', 'mtu': 1400}]
    expected = {'net.ipv4.conf.tunl0.rp_filter': '2', 'net.ipv4.conf.all.rp_filter': '2'}
    expected.update(arp('all', 'bond0', ignore=8, announce=1))
    assert got['sysctl'] == expected


def test_tun_ipv6_only_ip6tnl0_ip6_tunnel_no_sysctls():
    got = want('tun_realserver', 't1', TUN_DEFAULTS, live(('eth0', ['fd00:10:1::21/64'])), view_of=v6_view)
    assert got == {'links': [{'name': 'ip6tnl0', 'kind': 'fallback', 'mtu': 1460}], 'modules': ['ip6_tunnel'],
                   'addresses': [{'dev': 'ip6tnl0', 'address': 'fd00:10::20/128', 'flags': 'nodad'}],
                   'routes': [], 'sysctl': {}}


def test_tun_ipv6_mtu_setting():
    got = want('tun_realserver', 't1', dict(TUN_DEFAULTS, ip6tnl0_mtu=1400), live(('eth0', ['fd00:10:1::21/64'])),
               view_of=v6_view)
    assert got['links'] == [{'name': 'ip6tnl0', 'kind': 'fallback', 'mtu': 1400}]


def test_tun_mixed_vips_both_tunnels_ipv4_first():
    view = {'vips': ['10.0.0.20/32', 'fd00:10::20/128'], 'services': ['a', 'b'], 'labels': {}}
    got = desired('tun_realserver', view, TUN_DEFAULTS, '10.0.1.21/24', live(('eth0', ['10.0.1.21/24'])))
    assert got['links'] == [{'name': 'tunl0', 'kind': 'fallback', 'mtu': 1480},
                            {'name': 'ip6tnl0', 'kind': 'fallback', 'mtu': 1460}]
    assert got['modules'] == ['ipip', 'ip6_tunnel']
    assert got['addresses'] == [{'dev': 'tunl0', 'address': '10.0.0.20/32', 'flags': ''},
                                {'dev': 'ip6tnl0', 'address': 'fd00:10::20/128', 'flags': 'nodad'}]
    assert sorted(got['sysctl']) == sorted(['net.ipv4.conf.tunl0.rp_filter', 'net.ipv4.conf.all.rp_filter']
                                           + list(arp('all', 'eth0')))


def test_tun_without_vips_wants_nothing():
    assert desired('tun_realserver', empty_view('tun_realserver'), TUN_DEFAULTS, '10.0.1.21/24',
                   live(('eth0', ['10.0.1.21/24']))) == EMPTY


# --------------------------------------------------------------------------------------
# nat_realserver
# --------------------------------------------------------------------------------------

def test_nat_default_route_via_the_dip_on_the_data_interface():
    got = want('nat_realserver', 'nat2', NAT_DEFAULTS, live(('eth0', ['192.168.1.5/24']), ('eth1', ['192.168.10.32/24'])))
    assert got == dict(EMPTY, routes=[{'dst': '0.0.0.0/0', 'via': '192.168.10.1', 'dev': 'eth1', 'metric': 10}])


def test_nat_gateway_is_the_views_gateway():
    """nat1 names its gateway (lvs_gateway), nat2 takes the DIP: the same route either way."""
    ip_addr = live(('eth0', ['192.168.10.31/24', '192.168.10.32/24']))
    assert want('nat_realserver', 'nat1', NAT_DEFAULTS, ip_addr) == want('nat_realserver', 'nat2', NAT_DEFAULTS, ip_addr)
    view = {'gateway': '192.168.10.254', 'services': ['web-nat'], 'labels': {}}
    assert nat_routes(view, NAT_DEFAULTS, '192.168.10.31/24', ip_addr) == [
        {'dst': '0.0.0.0/0', 'via': '192.168.10.254', 'dev': 'eth0', 'metric': 10}]


def test_nat_client_networks_and_metric():
    settings = dict(NAT_DEFAULTS, client_networks=['10.9.0.0/16', '198.51.100.0/24'], route_metric='20')
    got = want('nat_realserver', 'nat1', settings, live(('eth0', ['192.168.10.31/24'])))
    assert got['routes'] == [{'dst': '10.9.0.0/16', 'via': '192.168.10.1', 'dev': 'eth0', 'metric': 20},
                             {'dst': '198.51.100.0/24', 'via': '192.168.10.1', 'dev': 'eth0', 'metric': 20}]


def test_nat_interface_setting_wins():
    got = want('nat_realserver', 'nat1', dict(NAT_DEFAULTS, interface='eth7'), live(('eth0', ['192.168.10.31/24'])))
    assert [r['dev'] for r in got['routes']] == ['eth7']


def test_nat_ipv6_default_route():
    got = want('nat_realserver', 'n1', NAT_DEFAULTS, live(('eth0', ['fd00:192:168:10::31/64'])), view_of=v6_view)
    assert got['routes'] == [{'dst': '::/0', 'via': 'fd00:192:168:10::1', 'dev': 'eth0', 'metric': 10}]
    assert got['sysctl'] == {} and got['modules'] == [] and got['addresses'] == []


@pytest.mark.parametrize('view', [
    {'gateway': '192.168.10.1', 'services': [], 'labels': {}},      # serves nothing
    {'gateway': None, 'services': ['web-nat'], 'labels': {}},       # no gateway (the pre-flight fails it)
    {'gateway': '', 'services': ['web-nat'], 'labels': {}},
])
def test_nat_nothing_without_services_or_gateway(view):
    ip_addr = live(('eth0', ['192.168.10.31/24']))
    assert nat_routes(view, NAT_DEFAULTS, '192.168.10.31/24', ip_addr) == []
    assert desired('nat_realserver', view, NAT_DEFAULTS, '192.168.10.31/24', ip_addr) == EMPTY


def test_nat_data_interface_unknown_is_an_empty_dev():
    got = want('nat_realserver', 'nat1', NAT_DEFAULTS, live(('eth0', ['192.168.1.5/24'])))
    assert got['routes'][0]['dev'] == ''


# --------------------------------------------------------------------------------------
# Every owner: absent, empty views, helpers.
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize('owner, host, settings', [
    ('director', 'director1', {}), ('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device='vip0')),
    ('tun_realserver', 'tun1', TUN_DEFAULTS), ('nat_realserver', 'nat1', NAT_DEFAULTS),
])
def test_absent_wants_nothing_whatever_the_view(owner, host, settings):
    ip_addr = live(('eth0', ['10.0.0.1/24', '10.0.0.11/24', '10.0.1.21/24', '192.168.10.31/24']))
    assert want(owner, host, settings, ip_addr, present=False) == EMPTY
    assert want(owner, host, settings, ip_addr) != EMPTY


@pytest.mark.parametrize('owner', ['dr_realserver', 'tun_realserver', 'nat_realserver'])
def test_realserver_with_an_empty_view_wants_nothing(owner):
    assert desired(owner, empty_view(owner), {}, '10.0.0.11/24', live(('eth0', ['10.0.0.11/24']))) == EMPTY


def test_empty_views():
    assert empty_view('director') == {'vips': [], 'services': [], 'ipvs_services': [], 'labels': {}}
    assert empty_view('nat_realserver') == {'gateway': None, 'services': [], 'labels': {}}
    assert empty_view('dr_realserver') == empty_view('tun_realserver') == {'vips': [], 'services': [], 'labels': {}}
    assert empty_view('dr_realserver') is not empty_view('dr_realserver')


def test_unknown_owner_is_refused():
    with pytest.raises(ValueError, match='unknown owner'):
        desired('keepalived', {}, {}, '', [])


def test_family_and_data_interface():
    # The family test is _inet.is_ipv6, the one home for it; prefixes and '::' included.
    assert is_ipv6('fd00::1/64') and is_ipv6('::') and not is_ipv6('10.0.0.1/24') and not is_ipv6(None)
    ip_addr = live(('eth0', ['10.0.0.11/24', 'fd00::11/64']))
    assert data_interface({}, '10.0.0.11/24', ip_addr) == 'eth0'
    assert data_interface({}, 'FD00:0::11/64', ip_addr) == 'eth0'
    assert data_interface({'interface': 'bond0'}, '10.0.0.11/24', ip_addr) == 'bond0'
    assert data_interface({'interface': ''}, '10.0.0.99/24', ip_addr) == ''
    assert data_interface({}, '', []) == ''


def test_ipvs_scope_lists_addresses_and_fwmarks_once_each():
    assert ipvs_scope(empty_view('director')) == []
    assert ipvs_scope({}) == []
    assert ipvs_scope(lab_view('director1')['director']) == ['10.0.0.10', '10.0.0.20', '10.0.0.30']
    view = {'ipvs_services': [{'address': '10.0.0.10', 'port': 80, 'fwmark': None},
                              {'address': '10.0.0.10', 'port': 443, 'fwmark': None},
                              {'address': None, 'port': None, 'fwmark': 7},
                              {'address': None, 'port': None, 'fwmark': 7, 'family': 'inet6'},
                              {'address': 'fd00::10', 'port': 80, 'fwmark': None}]}
    assert ipvs_scope(view) == ['10.0.0.10', 7, 'fd00::10']


def test_ipvs_scope_of_a_validated_fwmark_service():
    lab = Lab()
    lab.services.append({'name': 'mark', 'fwmark': 42, 'mode': 'dr', 'realservers': [{'host': 'dr1'}]})
    assert ipvs_scope(views(*lab.args())('director1')['director']) == ['10.0.0.10', '10.0.0.20', '10.0.0.30', 42]


@pytest.mark.parametrize('owner, slug', [
    ('director', 'director'), ('dr_realserver', 'dr-realserver'),
    ('tun_realserver', 'tun-realserver'), ('nat_realserver', 'nat-realserver'),
])
def test_paths_are_the_0_1_roles_paths(owner, slug):
    assert paths(owner) == {
        'ip_file': '/etc/lvs-cluster/%s.ip' % owner,
        'unit': 'lvs-cluster-%s.service' % slug,
        'unit_file': '/etc/systemd/system/lvs-cluster-%s.service' % slug,
        'sysctl_file': '/etc/sysctl.d/60-lvs-cluster-%s.conf' % slug,
        'modules_file': '/etc/modules-load.d/lvs-cluster-%s.conf' % slug,
    }


def test_unit_settings():
    assert sorted(UNIT) == sorted(OWNERS)
    assert unit_settings('director', {}) == {'boot': 'network', 'description': 'lvs.cluster director: VIPs and DIP',
                                             'after': ['lvs-cluster-ipvs.service'], 'before': ['keepalived.service']}
    assert unit_settings('dr_realserver', {'vip_device': 'vip0'}) == {
        'boot': 'early', 'description': 'lvs.cluster dr_realserver: DR VIPs on vip0', 'after': [], 'before': []}
    assert unit_settings('dr_realserver', {})['description'] == 'lvs.cluster dr_realserver: DR VIPs on lo'
    assert unit_settings('dr_realserver', {'vip_device': ''})['description'] == 'lvs.cluster dr_realserver: DR VIPs on lo'
    assert unit_settings('tun_realserver', {}) == {
        'boot': 'early', 'description': 'lvs.cluster tun_realserver: TUN VIPs on tunl0/ip6tnl0', 'after': [], 'before': []}
    assert unit_settings('nat_realserver', {}) == {
        'boot': 'network', 'description': 'lvs.cluster nat_realserver: return route(s) via the director DIP',
        'after': [], 'before': []}
    # A copy: the caller may change it.
    unit = unit_settings('director', {})
    unit['description'] = 'x'
    assert UNIT['director']['description'] == 'lvs.cluster director: VIPs and DIP'
