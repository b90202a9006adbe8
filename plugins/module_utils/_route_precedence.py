# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a route a role is about to install take over the path to a given peer?

Pure: the peer address, the live routes that cover it (``ip -j route show match PEER``) and
the routes to install in; the conflicting routes out.  The NAT real server role uses it
before it installs a route via the director's DIP: if that route would win over the route
the management (SSH) connection uses now, the connection's replies would go to the director
and Ansible would be cut off mid-run.

The kernel picks the longest prefix, then the lowest metric; both are compared exactly for
IPv4 and IPv6 (``ipaddress``), never as strings.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress


def _network(dst, version):
    """``ip -j route`` destination (``default``, ``10.0.0.0/24``, host ``10.0.0.5``) as a network."""
    if dst in ('default', None, ''):
        return ipaddress.ip_network('::/0' if version == 6 else '0.0.0.0/0')
    try:
        return ipaddress.ip_network(str(dst), strict=False)
    except ValueError:
        return None


def _describe(route):
    via = (' via %s' % route['gateway']) if route.get('gateway') else ''
    return '%s%s dev %s metric %s' % (route.get('dst', 'default'), via, route.get('dev', '?'), route.get('metric', 0))


def current_route(peer, live_routes):
    """The live route the kernel uses to reach ``peer``: (prefixlen, metric, route) or None."""
    address = ipaddress.ip_address(peer)
    best = None
    for route in live_routes or []:
        network = _network(route.get('dst'), address.version)
        if network is None or network.version != address.version or address not in network:
            continue
        key = (network.prefixlen, -int(route.get('metric', 0) or 0))
        if best is None or key > best[0]:
            best = (key, route)
    if best is None:
        return None
    return best[0][0], -best[0][1], best[1]


def conflicts(peer, live_routes, new_routes, gateway, metric):
    """The routes of ``new_routes`` that would take the path to ``peer`` away from its live route.

    ``new_routes``: [{'dst', 'via', 'dev', 'metric'}]; ``gateway``/``metric``: what identifies a
    route as the role's own (already installed: no conflict, the path already is the role's).
    Returns [{'route': new route, 'current': description of the live route or 'no route'}].
    """
    if not peer:
        return []
    address = ipaddress.ip_address(peer)
    current = current_route(peer, live_routes)
    if current is not None:
        plen, live_metric, live = current
        if str(live.get('gateway', '')) == str(gateway) and int(live.get('metric', 0) or 0) == int(metric):
            return []
        text = _describe(live)
    else:
        plen, live_metric, text = -1, 0, 'no route'
    found = []
    for route in new_routes or []:
        network = _network(route.get('dst'), address.version)
        if network is None or network.version != address.version or address not in network:
            continue
        if network.prefixlen > plen or (network.prefixlen == plen and int(route['metric']) < live_metric):
            found.append({'route': route, 'current': text})
    return found
