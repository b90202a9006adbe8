# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route precedence for the NAT real server's management-path pre-flight."""
import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._route_precedence import conflicts, current_route

DEFAULT_VIA_DIP = {'dst': '0.0.0.0/0', 'via': '192.168.10.1', 'dev': 'eth1', 'metric': 50}


def live(dst, gateway=None, dev='eth0', metric=None):
    route = {'dst': dst, 'dev': dev}
    if gateway:
        route['gateway'] = gateway
    if metric is not None:
        route['metric'] = metric
    return route


def test_longest_prefix_then_lowest_metric_is_current():
    routes = [live('default', '10.0.2.2', metric=100), live('10.0.2.0/24'), live('default', '10.0.2.3', metric=10)]
    plen, metric, route = current_route('10.0.2.2', routes)
    assert (plen, metric, route['dst']) == (24, 0, '10.0.2.0/24')
    plen, metric, route = current_route('198.51.100.7', routes)
    assert (plen, metric, route['gateway']) == (0, 10, '10.0.2.3')


def test_new_default_route_with_lower_metric_cuts_management_off():
    found = conflicts('198.51.100.7', [live('default', '10.0.2.2', metric=100)], [DEFAULT_VIA_DIP], '192.168.10.1', 50)
    assert [c['route'] for c in found] == [DEFAULT_VIA_DIP]
    assert found[0]['current'] == 'default via 10.0.2.2 dev eth0 metric 100'


def test_more_specific_live_route_keeps_management():
    assert conflicts('198.51.100.7', [live('198.51.100.0/24', '10.0.2.2'), live('default', '10.0.2.2', metric=100)],
                     [DEFAULT_VIA_DIP], '192.168.10.1', 50) == []


def test_peer_on_link_keeps_management():
    assert conflicts('10.0.2.2', [live('10.0.2.0/24')], [DEFAULT_VIA_DIP], '192.168.10.1', 50) == []


def test_higher_metric_default_route_does_not_win():
    assert conflicts('198.51.100.7', [live('default', '10.0.2.2', metric=10)], [DEFAULT_VIA_DIP], '192.168.10.1', 50) == []


def test_route_already_ours_is_no_conflict():
    assert conflicts('198.51.100.7', [live('default', '192.168.10.1', 'eth1', 50)], [DEFAULT_VIA_DIP], '192.168.10.1', 50) == []


def test_client_network_route_only_conflicts_when_it_covers_the_peer():
    new = [{'dst': '203.0.113.0/24', 'via': '192.168.10.1', 'dev': 'eth1', 'metric': 50}]
    assert conflicts('198.51.100.7', [live('default', '10.0.2.2', metric=100)], new, '192.168.10.1', 50) == []
    assert len(conflicts('203.0.113.9', [live('default', '10.0.2.2', metric=100)], new, '192.168.10.1', 50)) == 1


def test_no_live_route_at_all_means_any_covering_route_wins():
    assert conflicts('198.51.100.7', [], [DEFAULT_VIA_DIP], '192.168.10.1', 50)[0]['current'] == 'no route'


@pytest.mark.parametrize('peer,live_dst,conflict', [
    ('2001:db8:1::5', '2001:db8:1::/48', False),      # more specific than ::/0
    ('2001:db8:2::5', '2001:db8:1::/48', True),       # not covered by the live /48: the new default wins
    ('2001:db8:1::5', '2001:db8:1::5', False),        # host route (ip prints it without /128)
])
def test_ipv6_prefixes_compare_exactly(peer, live_dst, conflict):
    new = [{'dst': '::/0', 'via': 'fd00:10::1', 'dev': 'eth1', 'metric': 50}]
    found = conflicts(peer, [live(live_dst, 'fe80::1')], new, 'fd00:10::1', 50)
    assert bool(found) is conflict


def test_other_family_routes_are_ignored():
    assert conflicts('198.51.100.7', [live('default', '10.0.2.2', metric=100)],
                     [{'dst': '::/0', 'via': 'fd00:10::1', 'dev': 'eth1', 'metric': 50}], 'fd00:10::1', 50) == []


def test_no_peer_no_check():
    assert conflicts('', [], [DEFAULT_VIA_DIP], '192.168.10.1', 50) == []
