# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live pre-flight of the roles (plugins/module_utils/_host_preflight.py).

Every message has the validator's shape ``host H, service S (VIP:PORT/PROTO MODE): reason
[rule-id]`` (the label comes from the view's ``labels``; ``host H`` when there are none).
The views come from the validator for the lab inventory; the answers are what
``modprobe --dry-run``, ``ip -j route get`` and ``ip -j route show match`` print.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import desired, empty_view
from ansible_collections.lvs.cluster.plugins.module_utils._host_preflight import findings, probes
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_host_desired import (
    DR_DEFAULTS, NAT_DEFAULTS, TUN_DEFAULTS, live, v6_view, views,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_net_delta import ip_link

DIRECTOR = {'manage_vips': True, 'conn_reuse_mode': 1, 'expire_nodest_conn': 1, 'expire_quiescent_template': 1}

L_DR = 'host director1, service web-dr (10.0.0.10:80/tcp dr)'
L_TUN = 'host director1, service web-tun (10.0.0.20:80/tcp tun)'
L_NAT = 'host director1, service web-nat (10.0.0.30:8080/tcp nat)'

NOT_FOUND = 'modprobe: FATAL: Module %s not found in directory /lib/modules/6.1.0-18-amd64\n'


def fail(module):
    return {'rc': 1, 'stderr': NOT_FOUND % module}


def onlink(address, dev):
    """``ip -j route get`` of an on-link address."""
    return {'rc': 0, 'routes': [{'dst': address, 'dev': dev, 'prefsrc': '10.0.0.1', 'flags': [], 'uid': 0,
                                 'cache': []}], 'stderr': ''}


def via(address, gateway, dev):
    return {'rc': 0, 'routes': [{'dst': address, 'gateway': gateway, 'dev': dev, 'prefsrc': '10.0.0.1',
                                 'flags': [], 'uid': 0, 'cache': []}], 'stderr': ''}


UNREACHABLE = {'rc': 2, 'routes': None, 'stderr': 'RTNETLINK answers: Network is unreachable\n'}


def view_of(name, lab=None):
    return views(*(lab or Lab()).args())(name)


def run(owner, name, settings, ip_addr, lab=None, view=None, **answers):
    full = view_of(name, lab)
    part = view if view is not None else full[owner]
    return findings(owner, name, part, settings, full['address'], ip_addr, **answers)


# --------------------------------------------------------------------------------------
# Director
# --------------------------------------------------------------------------------------

DIRECTOR_LIVE = live(('eth0', ['192.168.1.1/24']), ('eth1', ['10.0.0.1/24']), ('eth2', ['192.168.10.1/24']))
DR_ONLINK = {'10.0.0.11': onlink('10.0.0.11', 'eth1'), '10.0.0.12': onlink('10.0.0.12', 'eth1')}


def test_director_good_case_finds_nothing():
    modprobe = dict((m, {'rc': 0, 'stderr': ''}) for m in ['ip_vs', 'ip_vs_rr', 'ip_vs_wlc', 'ip_vs_wrr'])
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, modprobe=modprobe, route_get=DR_ONLINK) == []
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE) == []       # nothing asked, nothing found


def test_director_probes():
    view = view_of('director1')['director']
    assert probes('director', view, DIRECTOR, DIRECTOR_LIVE) == {
        'modules': ['ip_vs', 'ip_vs_rr', 'ip_vs_wlc', 'ip_vs_wrr'], 'route_get': ['10.0.0.11', '10.0.0.12'],
        'management': False}
    assert probes('director', empty_view('director'), DIRECTOR, []) == {
        'modules': ['ip_vs'], 'route_get': [], 'management': False}


def test_director_probes_ipv6_only_where_it_is_not_live():
    view = dict(view_of('director1')['director'], ipv6=True)
    v4_only = [ip_link('lo', ['127.0.0.1/8'], kind='loopback'), ip_link('eth1', ['10.0.0.1/24'], ifindex=2)]
    assert probes('director', view, DIRECTOR, v4_only)['modules'][:2] == ['ipv6', 'ip_vs']
    # an inet6 address anywhere (here lo's ::1) proves the kernel has IPv6: nothing to dry-run,
    # and a kernel with IPv6 built in as a plain option has no "ipv6" modprobe could find
    assert probes('director', view, DIRECTOR, live(('eth1', ['10.0.0.1/24'])))['modules'][0] == 'ip_vs'
    eth6 = [v4_only[0], ip_link('eth1', ['10.0.0.1/24', 'fd00:10::1/64'], ifindex=2)]
    assert 'ipv6' not in probes('director', view, DIRECTOR, eth6)['modules']


def test_director_probes_each_dr_real_server_once():
    lab = Lab()
    lab.services.append({'name': 'web-dr2', 'vip': '10.0.0.15', 'port': 443, 'mode': 'dr',
                         'realservers': [{'host': 'dr2'}]})
    assert probes('director', view_of('director1', lab)['director'], DIRECTOR, [])['route_get'] == [
        '10.0.0.11', '10.0.0.12']


def test_director_address_not_live_is_reported_for_every_service():
    ip_addr = live(('eth1', ['10.0.0.99/24']), ('eth2', ['192.168.10.1/24']))
    reason = ('lvs_address 10.0.0.1/24 is not configured on any interface of this host (live: lo, eth1, eth2); '
              'configure the data-plane address first or correct lvs_address [preflight-address]')
    assert run('director', 'director1', DIRECTOR, ip_addr, route_get=DR_ONLINK) == [
        L_DR + ': ' + reason, L_TUN + ': ' + reason, L_NAT + ': ' + reason]


@pytest.mark.parametrize('missing, var', [('eth1', 'lvs_director_vip_interface'),
                                          ('eth2', 'lvs_director_internal_interface')])
def test_director_interface_missing(missing, var):
    ip_addr = copy.deepcopy([link for link in DIRECTOR_LIVE if link['ifname'] != missing])
    if missing == 'eth1':                               # lvs_address elsewhere: only the interface is missing
        ip_addr[1]['addr_info'].append({'family': 'inet', 'local': '10.0.0.1', 'prefixlen': 24})
    live_text = ', '.join(link['ifname'] for link in ip_addr)
    reason = ("%s %s does not exist on this host (live: %s); correct the variable or the host's network "
              "configuration [preflight-interface]" % (var, missing, live_text))
    assert run('director', 'director1', DIRECTOR, ip_addr) == [L_DR + ': ' + reason, L_TUN + ': ' + reason,
                                                               L_NAT + ': ' + reason]


def test_director_scheduler_module_missing_suggests_another_scheduler():
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, modprobe={'ip_vs_wrr': fail('ip_vs_wrr')}) == [
        label + ': kernel module ip_vs_wrr cannot be loaded: modprobe: FATAL: Module ip_vs_wrr not found in directory '
        '/lib/modules/6.1.0-18-amd64; install the kernel modules package for the running kernel or choose another '
        'scheduler [preflight-module]' for label in (L_DR, L_TUN, L_NAT)]


def test_director_ip_vs_missing_does_not_mention_schedulers():
    out = run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, modprobe={'ip_vs': fail('ip_vs')})
    assert out[0] == (L_DR + ': kernel module ip_vs cannot be loaded: modprobe: FATAL: Module ip_vs not found in '
                      'directory /lib/modules/6.1.0-18-amd64; install the kernel modules package for the running '
                      'kernel [preflight-module]')
    assert len(out) == 3


def test_director_answers_for_modules_it_does_not_load_are_ignored():
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, modprobe={'ipv6': fail('ipv6')}) == []


def test_director_ipv6_module_is_checked_for_ipv6_services():
    full = v6_view('d1')
    ip_addr = live(('eth1', ['fd00:10::1/64']), ('eth2', ['fd00:192:168:10::1/64']))
    out = findings('director', 'd1', full['director'], DIRECTOR, full['address'], ip_addr,
                   modprobe={'ipv6': fail('ipv6')})
    assert out == ['host d1, service %s: kernel module ipv6 cannot be loaded: modprobe: FATAL: Module ipv6 not found in '
                   'directory /lib/modules/6.1.0-18-amd64; install the kernel modules package for the running kernel '
                   '[preflight-module]' % label
                   for label in ('dr6 ([fd00:10::10]:80/tcp dr)', 'tun6 ([fd00:10::20]:80/tcp tun)',
                                 'nat6 ([fd00:10::30]:8080/tcp nat)')]


def test_director_without_labels_is_named_by_host():
    """A director that serves nothing (empty view) still loads ip_vs: a failure names the host."""
    out = findings('director', 'director1', empty_view('director'), DIRECTOR, '10.0.0.1/24', [],
                   modprobe={'ip_vs': fail('ip_vs')})
    assert out == ['host director1: kernel module ip_vs cannot be loaded: modprobe: FATAL: Module ip_vs not found in '
                   'directory /lib/modules/6.1.0-18-amd64; install the kernel modules package for the running kernel '
                   '[preflight-module]']


def test_director_without_services_skips_the_address_and_interface_checks():
    assert findings('director', 'director1', empty_view('director'), DIRECTOR, '10.0.0.1/24', []) == []


def onlink_reason(host, address, kernel):
    return ('DR real server %s (%s) is not on-link from this director (kernel: %s); DR rewrites only the MAC address, '
            "so the director needs an address in the real server's segment - configure it or use mode tun "
            '[preflight-dr-onlink]' % (host, address, kernel))


def test_director_dr_real_server_behind_a_gateway():
    route_get = dict(DR_ONLINK, **{'10.0.0.12': via('10.0.0.12', '10.0.0.254', 'eth0')})
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, route_get=route_get) == [
        L_DR + ': ' + onlink_reason('dr2', '10.0.0.12', 'via 10.0.0.254 dev eth0')]


def test_director_dr_real_server_route_get_failure():
    route_get = dict(DR_ONLINK, **{'10.0.0.11': UNREACHABLE})
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, route_get=route_get) == [
        L_DR + ': ' + onlink_reason('dr1', '10.0.0.11', 'RTNETLINK answers: Network is unreachable')]


def test_director_dr_route_without_dev_prints_a_question_mark():
    route_get = {'10.0.0.11': {'rc': 0, 'routes': [{'dst': '10.0.0.11', 'gateway': '10.0.0.254'}]}}
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, route_get=route_get) == [
        L_DR + ': ' + onlink_reason('dr1', '10.0.0.11', 'via 10.0.0.254 dev ?')]


def test_director_dr_onlink_is_labelled_with_the_real_servers_own_service():
    lab = Lab()
    lab.services.append({'name': 'web-dr2', 'vip': '10.0.0.15', 'port': 443, 'mode': 'dr',
                         'realservers': [{'host': 'dr2'}]})
    route_get = {'10.0.0.12': via('10.0.0.12', '10.0.0.254', 'eth0')}
    assert run('director', 'director1', DIRECTOR, DIRECTOR_LIVE, lab=lab, route_get=route_get) == [
        L_DR + ': ' + onlink_reason('dr2', '10.0.0.12', 'via 10.0.0.254 dev eth0'),
        'host director1, service web-dr2 (10.0.0.15:443/tcp dr): '
        + onlink_reason('dr2', '10.0.0.12', 'via 10.0.0.254 dev eth0')]


def test_director_dr_onlink_label_falls_back_to_host_and_service_name():
    view = dict(view_of('director1')['director'], labels={})
    out = findings('director', 'director1', view, DIRECTOR, '10.0.0.1/24', DIRECTOR_LIVE,
                   route_get={'10.0.0.11': UNREACHABLE})
    assert out == ['host director1, service web-dr: ' + onlink_reason('dr1', '10.0.0.11',
                                                                      'RTNETLINK answers: Network is unreachable')]


def test_director_message_order_each_error_for_every_label_then_the_dr_servers():
    ip_addr = live(('eth1', ['10.0.0.99/24']))           # no lvs_address, no eth2
    out = run('director', 'director1', DIRECTOR, ip_addr,
              modprobe={'ip_vs_rr': fail('ip_vs_rr'), 'ip_vs_wrr': fail('ip_vs_wrr')},
              route_get={'10.0.0.11': UNREACHABLE, '10.0.0.12': UNREACHABLE})
    rules = [(m.split(': ', 1)[0], m[m.rindex('['):]) for m in out]
    labels = [L_DR, L_TUN, L_NAT]
    assert rules == ([(label, '[preflight-address]') for label in labels]
                     + [(label, '[preflight-interface]') for label in labels]
                     + [(label, '[preflight-module]') for label in labels]       # ip_vs_rr
                     + [(label, '[preflight-module]') for label in labels]       # ip_vs_wrr
                     + [(L_DR, '[preflight-dr-onlink]'), (L_DR, '[preflight-dr-onlink]')])
    assert 'ip_vs_rr' in out[6] and 'ip_vs_rr' in out[8] and 'ip_vs_wrr' in out[9]
    assert 'dr1' in out[-2] and 'dr2' in out[-1]


# --------------------------------------------------------------------------------------
# DR and TUN real servers
# --------------------------------------------------------------------------------------

L_DR1 = 'host dr1, service web-dr (10.0.0.10:80/tcp dr)'
L_DR1_B = 'host dr1, service web-dr2 (10.0.0.15:443/tcp dr)'
L_TUN1 = 'host tun1, service web-tun (10.0.0.20:80/tcp tun)'


def two_dr_services():
    lab = Lab()
    lab.services.append({'name': 'web-dr2', 'vip': '10.0.0.15', 'port': 443, 'mode': 'dr',
                         'realservers': [{'host': 'dr1'}]})
    return lab


def test_dr_good_case():
    assert run('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0', ['10.0.0.11/24']))) == []
    assert run('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device='vip0', interface='eth0'),
               live(('eth0', ['10.0.0.11/24'])), modprobe={'dummy': {'rc': 0, 'stderr': ''}}) == []


def test_dr_probes_dummy_only_for_a_missing_dummy_device():
    view = view_of('dr1')['dr_realserver']
    ip_addr = live(('eth0', ['10.0.0.11/24']))
    assert probes('dr_realserver', view, DR_DEFAULTS, ip_addr) == {'modules': [], 'route_get': [], 'management': False}
    assert probes('dr_realserver', view, dict(DR_DEFAULTS, vip_device='vip0'), ip_addr)['modules'] == ['dummy']
    assert probes('dr_realserver', view, dict(DR_DEFAULTS, vip_device='vip0'),
                  ip_addr + live(('vip0', []))[1:])['modules'] == []


def test_dr_address_not_live():
    assert run('dr_realserver', 'dr1', DR_DEFAULTS, live(('eth0', ['10.0.0.99/24']))) == [
        L_DR1 + ': lvs_address 10.0.0.11/24 is not configured on any interface of this host (live: lo, eth0); '
        'configure the data-plane address first or correct lvs_address [preflight-address]']


def test_dr_address_check_needs_vips():
    """A real server serving nothing (empty view) has nothing to check."""
    assert findings('dr_realserver', 'dr1', empty_view('dr_realserver'), DR_DEFAULTS, '10.0.0.11/24', []) == []


def test_dr_interface_missing():
    assert run('dr_realserver', 'dr1', dict(DR_DEFAULTS, interface='bond0'), live(('eth0', ['10.0.0.11/24']))) == [
        L_DR1 + ': dr_realserver_interface bond0 does not exist on this host (live: lo, eth0) [preflight-interface]']


def test_dr_dummy_module_missing():
    out = run('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device='vip0'), live(('eth0', ['10.0.0.11/24'])),
              modprobe={'dummy': fail('dummy')})
    assert out == [L_DR1 + ': kernel module dummy (for dr_realserver_vip_device vip0) cannot be loaded: modprobe: FATAL: '
                   'Module dummy not found in directory /lib/modules/6.1.0-18-amd64; install the kernel modules package '
                   'or use dr_realserver_vip_device: lo [preflight-module]']


def test_dr_message_order_each_label_with_every_error():
    out = run('dr_realserver', 'dr1', dict(DR_DEFAULTS, vip_device='vip0', interface='bond0'),
              live(('eth0', ['10.0.0.99/24'])), lab=two_dr_services(), modprobe={'dummy': fail('dummy')})
    assert [(m.split(': ', 1)[0], m[m.rindex('['):]) for m in out] == [
        (L_DR1, '[preflight-address]'), (L_DR1, '[preflight-interface]'), (L_DR1, '[preflight-module]'),
        (L_DR1_B, '[preflight-address]'), (L_DR1_B, '[preflight-interface]'), (L_DR1_B, '[preflight-module]')]


def test_realserver_without_labels_is_named_by_host():
    view = dict(view_of('dr1')['dr_realserver'], labels={})
    assert findings('dr_realserver', 'dr1', view, dict(DR_DEFAULTS, interface='bond0'), '10.0.0.11/24',
                    live(('eth0', ['10.0.0.11/24']))) == [
        'host dr1: dr_realserver_interface bond0 does not exist on this host (live: lo, eth0) [preflight-interface]']


def test_tun_good_case_and_probes():
    ip_addr = live(('eth0', ['10.0.1.21/24']))
    assert run('tun_realserver', 'tun1', TUN_DEFAULTS, ip_addr, modprobe={'ipip': {'rc': 0, 'stderr': ''}}) == []
    assert probes('tun_realserver', view_of('tun1')['tun_realserver'], TUN_DEFAULTS, ip_addr) == {
        'modules': ['ipip'], 'route_get': [], 'management': False}
    assert probes('tun_realserver', v6_view('t1')['tun_realserver'], TUN_DEFAULTS, ip_addr)['modules'] == ['ip6_tunnel']
    mixed = {'vips': ['fd00:10::20/128', '10.0.0.20/32'], 'services': ['a', 'b'], 'labels': {}}
    assert probes('tun_realserver', mixed, TUN_DEFAULTS, ip_addr)['modules'] == ['ipip', 'ip6_tunnel']
    assert probes('tun_realserver', empty_view('tun_realserver'), TUN_DEFAULTS, ip_addr)['modules'] == []


def test_tun_modules_missing_ipip_first():
    view = {'vips': ['10.0.0.20/32', 'fd00:10::20/128'], 'services': ['web-tun'],
            'labels': {'web-tun': L_TUN1}}
    out = findings('tun_realserver', 'tun1', view, TUN_DEFAULTS, '10.0.1.21/24', live(('eth0', ['10.0.1.21/24'])),
                   modprobe={'ip6_tunnel': fail('ip6_tunnel'), 'ipip': fail('ipip')})
    assert out == [L_TUN1 + ': kernel module %s (IP-in-IP decapsulation) cannot be loaded: modprobe: FATAL: Module %s '
                   'not found in directory /lib/modules/6.1.0-18-amd64; install the kernel modules package for the '
                   'running kernel [preflight-module]' % (m, m) for m in ('ipip', 'ip6_tunnel')]


def test_tun_address_and_interface():
    out = run('tun_realserver', 'tun1', dict(TUN_DEFAULTS, interface='eth9'), live(('eth0', ['10.0.1.99/24'])))
    assert out == [
        L_TUN1 + ': lvs_address 10.0.1.21/24 is not configured on any interface of this host (live: lo, eth0); '
        'configure the data-plane address first or correct lvs_address [preflight-address]',
        L_TUN1 + ': tun_realserver_interface eth9 does not exist on this host (live: lo, eth0) [preflight-interface]']


# --------------------------------------------------------------------------------------
# NAT real servers
# --------------------------------------------------------------------------------------

L_NAT1 = 'host nat1, service web-nat (10.0.0.30:8080/tcp nat)'
L_NAT1_B = 'host nat1, service web-nat2 (10.0.0.31:8443/tcp nat)'
NAT_LIVE = live(('eth0', ['192.168.10.31/24']))
DIP_ONLINK = {'192.168.10.1': onlink('192.168.10.1', 'eth0')}


def nat_findings(ip_addr=NAT_LIVE, settings=None, lab=None, view=None, **answers):
    settings = NAT_DEFAULTS if settings is None else settings
    full = view_of('nat1', lab)
    part = view if view is not None else full['nat_realserver']
    want = desired('nat_realserver', part, settings, full['address'], ip_addr)
    return findings('nat_realserver', 'nat1', part, settings, full['address'], ip_addr,
                    desired_routes=want['routes'], **answers)


def test_nat_good_case_and_probes():
    assert nat_findings(route_get=DIP_ONLINK) == []
    view = view_of('nat1')['nat_realserver']
    assert probes('nat_realserver', view, NAT_DEFAULTS, NAT_LIVE) == {
        'modules': [], 'route_get': ['192.168.10.1'], 'management': True}
    assert probes('nat_realserver', view, dict(NAT_DEFAULTS, check_management_path=False), NAT_LIVE)['management'] is False
    assert probes('nat_realserver', empty_view('nat_realserver'), NAT_DEFAULTS, NAT_LIVE) == {
        'modules': [], 'route_get': [], 'management': True}


def test_nat_no_gateway():
    view = {'gateway': None, 'services': ['web-nat'], 'labels': {'web-nat': L_NAT1}}
    assert nat_findings(view=view) == [
        L_NAT1 + ': no gateway: no director of this service has lvs_director_internal_address and the host has no '
        'lvs_gateway [preflight-gateway]']


def test_nat_without_services_no_gateway_is_fine():
    assert nat_findings(view=empty_view('nat_realserver')) == []


def dip_reason(dev, kernel):
    return ("the DIP 192.168.10.1 is not on-link on the data interface %s (kernel: %s); NAT replies must go straight "
            "to the director: put the real server in the DIP's subnet [preflight-gateway]" % (dev, kernel))


@pytest.mark.parametrize('answer, kernel', [
    (onlink('192.168.10.1', 'eth1'), 'dev eth1'),                          # another device
    (via('192.168.10.1', '192.168.1.254', 'eth0'), 'via 192.168.1.254 dev eth0'),
    (via('192.168.10.1', '192.168.1.254', 'eth1'), 'via 192.168.1.254 dev eth1'),
    (UNREACHABLE, 'RTNETLINK answers: Network is unreachable'),
    ({'rc': 0, 'routes': [{'dst': '192.168.10.1'}]}, 'dev ?'),
])
def test_nat_dip_not_on_link_on_the_data_interface(answer, kernel):
    assert nat_findings(route_get={'192.168.10.1': answer}) == [L_NAT1 + ': ' + dip_reason('eth0', kernel)]


def test_nat_dip_on_the_interface_setting():
    ip_addr = live(('eth0', ['192.168.10.31/24']), ('eth1', ['192.168.10.77/24']))
    settings = dict(NAT_DEFAULTS, interface='eth1')
    assert nat_findings(ip_addr, settings, route_get={'192.168.10.1': onlink('192.168.10.1', 'eth1')}) == []
    assert nat_findings(ip_addr, settings, route_get=DIP_ONLINK) == [L_NAT1 + ': ' + dip_reason('eth1', 'dev eth0')]


def test_nat_dip_with_an_unknown_data_interface_only_needs_to_be_on_link():
    ip_addr = live(('eth0', ['192.168.10.99/24']))
    out = nat_findings(ip_addr, route_get=DIP_ONLINK)
    assert [m[m.rindex('['):] for m in out] == ['[preflight-address]']
    out = nat_findings(ip_addr, route_get={'192.168.10.1': UNREACHABLE})
    assert out[1] == L_NAT1 + ': ' + dip_reason('?', 'RTNETLINK answers: Network is unreachable')


MGMT_PEER = '10.9.9.9'
DHCP_DEFAULT = [{'dst': 'default', 'gateway': '192.168.10.254', 'dev': 'eth0', 'protocol': 'dhcp', 'metric': 100}]


def mgmt_reason(current, dst, metric=10):
    return ('the management connection from 10.9.9.9 (SSH_CLIENT) uses the route "%s"; the route %s via the DIP '
            '192.168.10.1 metric %s this role would install takes precedence and would cut Ansible off. Set '
            'nat_realserver_client_networks to the client networks (routes via the DIP instead of a default route), '
            'add a more specific route to the management network, or set nat_realserver_check_management_path: false '
            'if management really passes through the director [preflight-mgmt-path]' % (current, dst, metric))


def test_nat_default_route_would_cut_the_management_connection():
    assert nat_findings(route_get=DIP_ONLINK, management_peer=MGMT_PEER, management_routes=DHCP_DEFAULT) == [
        L_NAT1 + ': ' + mgmt_reason('default via 192.168.10.254 dev eth0 metric 100', '0.0.0.0/0')]


def test_nat_client_network_covering_the_peer_would_cut_it_too():
    settings = dict(NAT_DEFAULTS, client_networks=['10.9.0.0/16', '172.16.0.0/12'], route_metric=50)
    assert nat_findings(settings=settings, route_get=DIP_ONLINK, management_peer=MGMT_PEER,
                        management_routes=DHCP_DEFAULT) == [
        L_NAT1 + ': ' + mgmt_reason('default via 192.168.10.254 dev eth0 metric 100', '10.9.0.0/16', 50)]


def test_nat_no_route_to_the_peer():
    assert nat_findings(route_get=DIP_ONLINK, management_peer=MGMT_PEER, management_routes=[]) == [
        L_NAT1 + ': ' + mgmt_reason('no route', '0.0.0.0/0')]


@pytest.mark.parametrize('peer, routes, settings', [
    (MGMT_PEER, DHCP_DEFAULT, dict(NAT_DEFAULTS, client_networks=['172.16.0.0/12'])),   # client networks miss the peer
    (MGMT_PEER, DHCP_DEFAULT + [{'dst': '10.9.0.0/16', 'gateway': '192.168.10.254', 'dev': 'eth0'}], NAT_DEFAULTS),
    (MGMT_PEER, [{'dst': 'default', 'gateway': '192.168.10.1', 'dev': 'eth0', 'metric': 10}], NAT_DEFAULTS),  # ours
    (MGMT_PEER, None, NAT_DEFAULTS),                   # routes unknown (ip route show failed)
    ('', DHCP_DEFAULT, NAT_DEFAULTS),                  # no SSH_CLIENT
    (MGMT_PEER, [{'dst': 'default', 'gateway': '192.168.10.254', 'dev': 'eth0', 'metric': 5}], NAT_DEFAULTS),
])
def test_nat_management_path_safe_cases(peer, routes, settings):
    assert nat_findings(settings=settings, route_get=DIP_ONLINK, management_peer=peer, management_routes=routes) == []


def test_nat_message_order_each_label_with_every_error():
    lab = Lab()
    lab.services.append({'name': 'web-nat2', 'vip': '10.0.0.31', 'port': 8443, 'mode': 'nat',
                         'realservers': [{'host': 'nat1', 'port': 443}]})
    out = nat_findings(live(('eth0', ['192.168.10.99/24'])), dict(NAT_DEFAULTS, interface='eth0'), lab=lab,
                       route_get={'192.168.10.1': UNREACHABLE}, management_peer=MGMT_PEER,
                       management_routes=DHCP_DEFAULT)
    order = ['[preflight-address]', '[preflight-gateway]', '[preflight-mgmt-path]']
    assert [(m.split(': ', 1)[0], m[m.rindex('['):]) for m in out] == (
        [(L_NAT1, rule) for rule in order] + [(L_NAT1_B, rule) for rule in order])
