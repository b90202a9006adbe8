# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host network delta for the lvs.cluster roles: links, addresses, routes, sysctls, modules.

Pure: the desired state, the record of the previous run and the live state (as ``ip -j``
and ``sysctl`` print it) in; the changes to make and the new record out.  The
``lvs.cluster.host_net`` role runs the changes with ``ip -batch`` and ``sysctl -w``.

Why a record
------------
A host also carries configuration nobody gave to this collection (the management
address, routes from DHCP, sysctls from other roles).  Only what a previous run wrote
into its record (the ``# lvs-cluster-state:`` line of the role's ip batch file) is ever
removed, and only when ``prune`` is true; otherwise it stays recorded so a later pruning
run still knows about it.  A sysctl keeps the value it had before the role first changed
it (``sysctl_original``) so that removal restores that value instead of a guess.

Deprecated addresses
--------------------
An address whose ``flags`` hold ``preferred_lft 0`` (the director's IPv6 VIPs) is wanted
*deprecated*: the kernel still delivers packets to it and answers neighbour solicitations
for it, but source address selection passes it over for any preferred address of suitable
scope (RFC 6724 rule 3), so it is not the source of the host's own traffic.  ``ip -j addr`` shows
such an address with ``"deprecated": true`` and ``"preferred_life_time": 0``.  For these
addresses the lifetime is part of the desired state: one that is live but preferred (added
by an older run or by hand) gets its ``addr replace`` line again, which the kernel applies
to the existing address in place.  Without ``preferred_lft`` in ``flags`` the lifetime is
not managed and a live address matches whatever its lifetime.

Order of the changes
--------------------
Sysctls are set before any address is added (a DR VIP must never be ARP-visible, not even
for a moment); links come up before their addresses; routes follow addresses (a gateway
must be reachable); removals run last, in the opposite order.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import json

from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET6, canonical, is_ipv6

STATE_MARKER = '# lvs-cluster-state: '

# A module whose presence the live state already proves needs no modprobe run.
_EVIDENT_SYSCTL = {'ip_vs': 'net.ipv4.vs.conn_reuse_mode'}
_EVIDENT_LINK = {'ipip': 'tunl0', 'ip6_tunnel': 'ip6tnl0'}
# ipv6 (a module on some kernels): any live IPv6 address or net.ipv6.* sysctl proves it.
_IPV6_SYSCTL_PREFIX = 'net.ipv6.'


def parse_state(text):
    """Return the record stored in an ip batch file's state line ({} when there is none)."""
    for line in (text or '').splitlines():
        if line.startswith(STATE_MARKER):
            try:
                value = json.loads(line[len(STATE_MARKER):])
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def state_line(record):
    """The state line for ``record`` (stable: sorted keys, no spaces to drift on)."""
    return STATE_MARKER + json.dumps(record, sort_keys=True)


def route_families(desired_routes, previous):
    """``ip`` family flags (``-4``/``-6``) of every route this run must read back."""
    families = []
    for route in list(desired_routes or []) + list((previous or {}).get('routes') or []):
        flag = '-6' if is_ipv6(route.get('via', '')) else '-4'
        if flag not in families:
            families.append(flag)
    return families


def _canonical_dst(dst):
    """A destination as ``ip -j route`` prints it: ``default``, a bare host address, or a network."""
    if dst in ('default', '0.0.0.0/0', '::/0'):
        return 'default'
    try:
        network = ipaddress.ip_network(str(dst), strict=False)
    except ValueError:
        return str(dst)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _route_metric(route):
    """The metric the kernel stores: an IPv6 route added with metric 0 gets 1024 (IP6_RT_PRIO_USER)."""
    metric = int(route.get('metric') or 0)
    if metric == 0 and is_ipv6(route.get('via', '')):
        return 1024
    return metric


def _route_key(route):
    """A desired route keyed the way ``ip -j route`` prints it."""
    return '|'.join((_canonical_dst(route['dst']), canonical(route['via']), str(route['dev']),
                     str(_route_metric(route))))


def _route_slot(route):
    """What ``ip route replace`` matches on (destination and metric): one route per slot."""
    return (_canonical_dst(route['dst']), is_ipv6(route.get('via', '')), _route_metric(route))


def _live_route_key(entry):
    return '|'.join((str(entry.get('dst', '')), str(entry.get('gateway', '')),
                     str(entry.get('dev', '')), str(entry.get('metric', 0))))


def index_live(ip_addr, ip_routes, sysctl_lines):
    """Index ``ip -j addr`` output, ``ip -j route`` outputs and ``sysctl -e`` lines.

    Returns (links: name -> {'up', 'mtu'}, addresses: set of 'dev|addr/len',
    routes: set of route keys, sysctl: key -> value).
    """
    links = {}
    addresses = set()
    for link in ip_addr or []:
        name = link.get('ifname')
        links[name] = {'up': 'UP' in (link.get('flags') or []), 'mtu': link.get('mtu')}
        for addr in link.get('addr_info') or []:
            addresses.add('%s|%s/%s' % (name, addr.get('local'), addr.get('prefixlen')))
    routes = set()
    for listing in ip_routes or []:
        for entry in listing or []:
            routes.add(_live_route_key(entry))
    sysctl = {}
    for line in sysctl_lines or []:
        if ' = ' in line:
            key, value = line.split(' = ', 1)
            # Multi-value keys (net.ipv4.vs.sync_threshold) print tab-separated; sysctl -w and
            # sysctl.d take them space-separated.
            sysctl[key] = ' '.join(value.split())
    return links, addresses, routes, sysctl


def _is_deprecated(addr):
    """Whether an ``addr_info`` entry of ``ip -j addr`` is deprecated (preferred lifetime 0).

    iproute2 prints the ``deprecated`` flag; for IPv6 ``preferred_life_time`` is 0 as well
    (IPv4 keeps printing the stored lifetime, so the flag is what counts there).
    """
    return addr.get('deprecated') is True or addr.get('preferred_life_time') == 0


def index_deprecated(ip_addr):
    """The ``dev|addr/len`` keys of the deprecated addresses in ``ip -j addr`` output."""
    keys = set()
    for link in ip_addr or []:
        for addr in link.get('addr_info') or []:
            if _is_deprecated(addr):
                keys.add('%s|%s/%s' % (link.get('ifname'), addr.get('local'), addr.get('prefixlen')))
    return keys


def wants_deprecated(addr):
    """Whether a desired address asks for ``preferred_lft 0`` in its ``flags``."""
    words = str(addr.get('flags') or '').split()
    return any(word == 'preferred_lft' and value == '0' for word, value in zip(words, words[1:]))


def interface_of(ip_addr, address):
    """Name of the interface that holds ``address`` (prefix allowed) in ``ip -j addr`` output, or ''."""
    wanted = canonical(str(address or '').partition('/')[0])
    for link in ip_addr or []:
        for addr in link.get('addr_info') or []:
            if canonical(addr.get('local', '')) == wanted:
                return link.get('ifname', '')
    return ''


def _addr_key(addr):
    return '%s|%s' % (addr['dev'], addr['address'])


def _split_stale(previous_items, wanted_keys, live_keys, key, prune):
    """Recorded items no longer wanted but still live: (to delete, to keep recording)."""
    delete, keep = [], []
    for item in previous_items or []:
        k = key(item)
        if k in wanted_keys or k not in live_keys:
            continue
        (delete if prune else keep).append(item)
    return delete, keep


def _links(desired, previous, live_links, prune):
    add, set_up = [], []
    for link in desired:
        live = live_links.get(link['name'])
        if live is None:
            if link['kind'] == 'dummy':
                add.append(link)
            set_up.append(link)
        elif not live['up'] or (link.get('mtu') and live['mtu'] != link['mtu']):
            set_up.append(link)
    wanted = set(link['name'] for link in desired)
    delete, keep = _split_stale(previous.get('links'), wanted, set(live_links),
                                lambda link: link['name'], prune)
    return add, set_up, delete, keep


def _sysctls(desired, previous, live, prune):
    recorded = previous.get('sysctl') or {}
    original = dict(previous.get('sysctl_original') or {})
    for key, value in desired.items():
        if key not in original and key in live and live[key] != value:
            original[key] = live[key]
    to_set = ['%s=%s' % (k, v) for k, v in desired.items() if live.get(k) != v]
    restore, keep = [], {}
    for key in recorded:
        if key in desired:
            continue
        if prune:
            if key in original and key in live and live[key] != original[key]:
                restore.append('%s=%s' % (key, original[key]))
            original.pop(key, None)
        else:
            keep[key] = recorded[key]
    return to_set, restore, keep, original


def ipv6_live(ip_addr, live_sysctl):
    """Whether the live state proves that the kernel has IPv6 (the ``ipv6`` module is loaded or built in)."""
    for link in ip_addr or []:
        for addr in link.get('addr_info') or []:
            if addr.get('family') == INET6 or is_ipv6(addr.get('local', '')):
                return True
    return any(key.startswith(_IPV6_SYSCTL_PREFIX) for key in live_sysctl)


def _modules_to_load(modules, live_links, live_sysctl, adding_links, ipv6_live):
    load = []
    for module in modules:
        if module.startswith('ip_vs'):
            evident = _EVIDENT_SYSCTL['ip_vs'] in live_sysctl
        elif module == 'ipv6':
            evident = ipv6_live
        elif module in _EVIDENT_LINK:
            evident = _EVIDENT_LINK[module] in live_links
        elif module == 'dummy':
            evident = not adding_links
        else:
            evident = False
        if not evident:
            load.append(module)
    return load


def _mtu(link):
    return (' mtu %s' % link['mtu']) if link.get('mtu') else ''


def _flags(addr):
    return (' ' + addr['flags']) if addr.get('flags') else ''


def _route(route):
    return '%s via %s dev %s metric %s' % (route['dst'], route['via'], route['dev'], route['metric'])


def boot_lines(record):
    """The idempotent ``ip -batch`` lines that re-create ``record`` at boot."""
    lines = ['link set %s up%s' % (link['name'], _mtu(link)) for link in record.get('links') or []]
    lines += ['addr replace %s dev %s%s' % (a['address'], a['dev'], _flags(a)) for a in record.get('addresses') or []]
    lines += ['route replace ' + _route(r) for r in record.get('routes') or []]
    return lines


def compute(desired, previous, ip_addr, ip_routes, sysctl_lines, prune):
    """The changes that turn the live host into ``desired``, and the record to store.

    ``desired``: {'links': [{'name', 'kind', 'mtu'}], 'addresses': [{'dev', 'address', 'flags'}],
    'routes': [{'dst', 'via', 'dev', 'metric'}], 'sysctl': {key: str}, 'modules': [name]}.
    Returns {'lines': ip batch lines, 'load_modules', 'set_sysctl', 'restore_sysctl'
    (``key=value`` strings for ``sysctl -w``), 'record', 'changed'}.
    """
    previous = previous or {}
    want_links = list(desired.get('links') or [])
    want_addresses = list(desired.get('addresses') or [])
    want_routes = list(desired.get('routes') or [])
    want_sysctl = dict((k, ' '.join(str(v).split())) for k, v in (desired.get('sysctl') or {}).items())
    want_modules = list(desired.get('modules') or [])
    live_links, live_addresses, live_routes, live_sysctl = index_live(ip_addr, ip_routes, sysctl_lines)

    add_links, set_links, del_links, keep_links = _links(want_links, previous, live_links, prune)

    live_deprecated = index_deprecated(ip_addr)
    add_addresses = [a for a in want_addresses
                     if _addr_key(a) not in live_addresses
                     or (wants_deprecated(a) and _addr_key(a) not in live_deprecated)]
    del_addresses, keep_addresses = _split_stale(
        previous.get('addresses'), set(_addr_key(a) for a in want_addresses), live_addresses, _addr_key, prune)

    add_routes = [r for r in want_routes if _route_key(r) not in live_routes]
    del_routes, keep_routes = _split_stale(
        previous.get('routes'), set(_route_key(r) for r in want_routes), live_routes, _route_key, prune)

    set_sysctl, restore_sysctl, keep_sysctl, original = _sysctls(want_sysctl, previous, live_sysctl, prune)

    lines = ['link add %s type %s' % (link['name'], link['kind']) for link in add_links]
    lines += ['link set %s up%s' % (link['name'], _mtu(link)) for link in set_links]
    lines += ['addr replace %s dev %s%s' % (a['address'], a['dev'], _flags(a)) for a in add_addresses]
    lines += ['route replace ' + _route(r) for r in add_routes]
    # A replace already took over the slot of a stale route with the same destination and
    # metric (e.g. a new DIP as gateway); deleting it as well would fail the whole batch.
    replaced = set(_route_slot(r) for r in add_routes)
    lines += ['route del ' + _route(r) for r in del_routes if _route_slot(r) not in replaced]
    lines += ['addr del %s dev %s' % (a['address'], a['dev']) for a in del_addresses]
    lines += [('link del %s' % link['name']) if link['kind'] == 'dummy' else ('link set %s down' % link['name'])
              for link in del_links]

    sysctl_record = dict(want_sysctl)
    sysctl_record.update(keep_sysctl)
    record = {
        'links': want_links + keep_links,
        'addresses': want_addresses + keep_addresses,
        'routes': want_routes + keep_routes,
        'sysctl': sysctl_record,
        'sysctl_original': original,
        'modules': want_modules,
    }
    load_modules = _modules_to_load(want_modules, live_links, live_sysctl, add_links,
                                    'ipv6' in want_modules and ipv6_live(ip_addr, live_sysctl))
    return {
        'lines': lines,
        'load_modules': load_modules,
        'set_sysctl': set_sysctl,
        'restore_sysctl': restore_sysctl,
        'record': record,
        'changed': bool(lines or load_modules or set_sysctl or restore_sysctl),
    }
