# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for ``ipvsadm -L`` listings (``-Ln``, ``--stats``, ``--rate``,
``--thresholds``, ``--timeout``, ``--daemon``).  Pure: text in, data out.

Formats follow ipvsadm 1.31 ``print_service_entry``/``list_daemon``:

* service line: ``TCP  10.0.0.10:80 wlc (sh-fallback) persistent 300 mask
  255.255.255.0 pe sip ops`` or ``FWM  42 IPv6 rr``;
* real server line: ``  -> 10.0.0.11:80  Route 1 0 0``;
* ``--stats``/``--rate``: the name then five numbers, ``K``/``M``/``G``/``T``
  suffixed unless ``--exact``;
* ``--daemon``: ``master sync daemon (mcast=eth0, syncid=1, ...)``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET, INET6, service_key
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import canon_address, canon_netmask, split_hostport
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import parse_timeouts

FORWARD_NAMES = {'Route': 'dr', 'Tunnel': 'tun', 'Masq': 'nat', 'Local': 'local'}
STAT_KEYS = ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes')
RATE_KEYS = ('cps', 'inpps', 'outpps', 'inbps', 'outbps')
_SUFFIX = {'K': 1000, 'M': 1000000, 'G': 1000000000, 'T': 1000000000000}
_VERSION_RE = re.compile(r'IP Virtual Server version (\S+) \(size=(\d+)\)')
_NOT_LOADED = ("Can't initialize ipvs", 'Protocol not available',
               'IP Virtual Server is built in the kernel')


def ipvs_not_loaded(stderr):
    """True when ipvsadm failed because the kernel has no (loadable) ip_vs."""
    return any(marker in (stderr or '') for marker in _NOT_LOADED)


def _number(text, where):
    if text.isdigit():
        return int(text)
    if text[:-1].isdigit() and text[-1] in _SUFFIX:
        return int(text[:-1]) * _SUFFIX[text[-1]]
    raise IpvsError('%s: %r is not a counter' % (where, text))


def _service_head(tokens, where):
    """Consume the service name tokens; return (key, data, rest)."""
    proto = tokens[0]
    if proto == 'FWM':
        fwmark = int(tokens[1])
        rest = tokens[2:]
        family = INET
        if rest and rest[0] == 'IPv6':
            family, rest = INET6, rest[1:]
        data = {'protocol': None, 'address': None, 'port': None, 'fwmark': fwmark,
                'family': family}
        return service_key(None, None, None, fwmark, family), data, rest
    host, port = split_hostport(tokens[1], where)
    address, family = canon_address(host, where)
    protocol = proto.lower()
    data = {'protocol': protocol, 'address': address, 'port': port or 0, 'fwmark': None,
            'family': family}
    return service_key(protocol, address, port or 0), data, tokens[2:]


def _rs_head(tokens, where):
    host, port = split_hostport(tokens[1], where)
    address = canon_address(host, where)[0]
    return (address, port or 0), {'address': address, 'port': port or 0}, tokens[2:]


def _lines(text):
    for number, line in enumerate((text or '').splitlines(), 1):
        tokens = line.split()
        if not tokens or tokens[0] in ('IP', 'Prot') or \
                (len(tokens) > 1 and tokens[1] == 'RemoteAddress:Port'):
            continue
        yield 'line %d' % number, tokens


def parse_list(text):
    """Parse ``ipvsadm -Ln``: ``{'version', 'size', 'services': [...]}``."""
    m = _VERSION_RE.search(text or '')
    result = {'version': m.group(1) if m else None,
              'size': int(m.group(2)) if m else None, 'services': []}
    svc = None
    for where, tokens in _lines(text):
        where = 'ipvsadm -Ln ' + where
        if tokens[0] == '->':
            if svc is None or len(tokens) < 5:
                raise IpvsError('%s: unexpected real server line' % where)
            _key, rs, rest = _rs_head(tokens, where)
            rs['forward'] = FORWARD_NAMES.get(rest[0], rest[0].lower())
            rs['weight'] = int(rest[1])
            rs['active_conns'] = int(rest[2])
            rs['inactive_conns'] = int(rest[3])
            svc['realservers'].append(rs)
            continue
        _key, svc, rest = _service_head(tokens, where)
        if not rest:
            raise IpvsError('%s: service line without scheduler' % where)
        svc.update({'scheduler': rest[0], 'scheduler_flags': [],
                    'persistence_timeout': None, 'persistence_netmask': None,
                    'persistence_engine': None, 'one_packet': False, 'realservers': []})
        i = 1
        while i < len(rest):
            word = rest[i]
            if word.startswith('('):
                svc['scheduler_flags'] = word.strip('()').split(',')
            elif word == 'persistent':
                i += 1
                svc['persistence_timeout'] = int(rest[i])
            elif word == 'mask':
                i += 1
                svc['persistence_netmask'] = canon_netmask(rest[i], svc['family'], where)
            elif word == 'pe':
                i += 1
                svc['persistence_engine'] = rest[i]
            elif word == 'ops':
                svc['one_packet'] = True
            i += 1
        result['services'].append(svc)
    return result


def _parse_counters(text, keys, what):
    """``{service key: (counters, {rs key: counters})}`` of a stats/rate listing."""
    out = {}
    current = None
    for where, tokens in _lines(text):
        where = '%s %s' % (what, where)
        if tokens[0] == '->':
            if current is None:
                raise IpvsError('%s: unexpected real server line' % where)
            key, _rs, rest = _rs_head(tokens, where)
            current[key] = dict(zip(keys, (_number(t, where) for t in rest[:5])))
            continue
        key, _svc, rest = _service_head(tokens, where)
        current = {}
        out[key] = (dict(zip(keys, (_number(t, where) for t in rest[:5]))), current)
    return out


def parse_stats(text):
    return _parse_counters(text, STAT_KEYS, 'ipvsadm -Ln --stats')


def parse_rates(text):
    return _parse_counters(text, RATE_KEYS, 'ipvsadm -Ln --rate')


def parse_thresholds(text):
    """``{service key: {rs key: (upper, lower)}}`` from ``-Ln --thresholds``."""
    out = {}
    current = None
    for where, tokens in _lines(text):
        where = 'ipvsadm -Ln --thresholds ' + where
        if tokens[0] == '->':
            if current is None:
                raise IpvsError('%s: unexpected real server line' % where)
            key, _rs, rest = _rs_head(tokens, where)
            current[key] = (int(rest[0]), int(rest[1]))
            continue
        key, _svc, _rest = _service_head(tokens, where)
        current = out[key] = {}
    return out


def merge_thresholds(table, thresholds):
    """Put thresholds (invisible to ``-Sn``) into a Table read with ``-Sn``."""
    for key, servers in thresholds.items():
        svc = table.services.get(key)
        if svc is None:
            continue
        for rkey, (upper, lower) in servers.items():
            rs = svc.realservers.get(rkey)
            if rs is not None:
                rs.upper_threshold, rs.lower_threshold = upper, lower
    return table


_DAEMON_RE = re.compile(r'^(master|backup) sync daemon \((.*)\)\s*$')
_DAEMON_INTS = ('syncid', 'maxlen', 'port', 'ttl')


def parse_daemon(text):
    """List of running sync daemons: ``[{'state': 'master', 'mcast_interface':
    'eth0', 'syncid': 1, ...}]`` (empty when none runs)."""
    daemons = []
    for line in (text or '').splitlines():
        m = _DAEMON_RE.match(line.strip())
        if m is None:
            continue
        entry = {'state': m.group(1)}
        for item in m.group(2).split(','):
            if '=' not in item:
                continue
            name, value = [part.strip() for part in item.split('=', 1)]
            if name == 'mcast':
                entry['mcast_interface'] = value
            elif name == 'group':
                entry['mcast_group'] = value
            elif name in _DAEMON_INTS:
                entry[name if name in ('syncid', 'maxlen') else 'mcast_' + name] = int(value)
            else:
                entry[name] = value
        daemons.append(entry)
    return daemons


def build_info(listing, stats=None, rates=None, timeouts=None, daemon=None,
               thresholds=None):
    """Combine the listings into the ``ipvs`` fact returned by ipvs_info.

    Each listing is a separate ipvsadm call, so a service may appear in one and
    not the next; counters then stay absent instead of failing the read.
    """
    info = {'loaded': True, 'version': listing.get('version'),
            'size': listing.get('size'), 'services': listing['services']}
    stat_map = parse_stats(stats) if stats is not None else None
    rate_map = parse_rates(rates) if rates is not None else None
    thr_map = parse_thresholds(thresholds) if thresholds is not None else None
    for svc in info['services']:
        key = service_key(svc['protocol'], svc['address'], svc['port'], svc['fwmark'],
                          svc['family'])
        for name, mapping in (('stats', stat_map), ('rates', rate_map)):
            if mapping is None:
                continue
            own, per_rs = mapping.get(key, (None, {}))
            svc[name] = own
            for rs in svc['realservers']:
                rs[name] = per_rs.get((rs['address'], rs['port']))
        if thr_map is not None:
            per_rs = thr_map.get(key, {})
            for rs in svc['realservers']:
                upper, lower = per_rs.get((rs['address'], rs['port']), (None, None))
                rs['upper_threshold'], rs['lower_threshold'] = upper, lower
        svc['active_conns'] = sum(rs['active_conns'] for rs in svc['realservers'])
        svc['inactive_conns'] = sum(rs['inactive_conns'] for rs in svc['realservers'])
    if timeouts is not None:
        info['timeouts'] = parse_timeouts(timeouts)
    if daemon is not None:
        info['daemons'] = parse_daemon(daemon)
    return info


def not_loaded_info(stderr):
    return {'loaded': False, 'version': None, 'size': None, 'services': [],
            'timeouts': None, 'daemons': [], 'error': (stderr or '').strip()}
