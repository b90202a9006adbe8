# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS table model: normalise declarations, parse and render ``ipvsadm -Sn``.

Pure: data in, data out.  Everything here is shared by the ``ipvs`` module, the
runner that feeds it live data, the tests and the benchmark, so the one notion
of "equal" used by the delta is defined once, by the ``attrs`` tuples below.

Facts taken from ipvsadm 1.31 (``ipvsadm.c``) that shape this code:

* ``-S`` prints ``-A <svc> -s <sched> [-p T [-M mask]] [--pe P] [-o] [-b flags]``
  then ``-a <svc> -r <rs> -g|-i|-m -w W [--tun-type ...]``.  It never prints
  thresholds (``-x``/``-y``); those are only visible in ``-Ln --thresholds``.
* ``-E``/``-e`` replace every attribute: an omitted ``-p`` clears persistence,
  an omitted ``-x`` resets the threshold to 0.  So edits are always rendered
  with the complete attribute set.
* For non-fwmark services ipvsadm forces a DR/TUN real server's port to the
  service port, so a different declared port could never converge.
* Scheduler flags are three bits whose names depend on the scheduler
  (``sh-fallback`` == ``mh-fallback`` == ``flag-1``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re

PROTOCOL_OPTS = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}
OPT_PROTOCOLS = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp',
                 '--udp-service': 'udp', '--sctp-service': 'sctp'}
FORWARD_OPTS = {'dr': '-g', 'tun': '-i', 'nat': '-m'}
OPT_FORWARDS = {'-g': 'dr', '--gatewaying': 'dr', '-i': 'tun', '--ipip': 'tun',
                '-m': 'nat', '--masquerading': 'nat'}
TUN_TYPES = ('ipip', 'gue', 'gre')
TUN_CSUMS = ('nocsum', 'csum', 'remcsum')
FAMILIES = ('inet', 'inet6')
DEFAULT_SCHEDULER = 'wlc'
# libipvs' IPVS_SVC_PERSISTENT_TIMEOUT, used when -p has no value.
DEFAULT_PERSISTENCE = 360
MAX_TIMEOUT = 86400 * 31
MAX_WEIGHT = 2147483647
MAX_THRESHOLD = 65535
_FLAG_BITS = {'flag-1': 1, 'flag-2': 2, 'flag-3': 3,
              'sh-fallback': 1, 'sh-port': 2, 'mh-fallback': 1, 'mh-port': 2}
_FLAG_NAMES = {'sh': {1: 'sh-fallback', 2: 'sh-port'},
               'mh': {1: 'mh-fallback', 2: 'mh-port'}}


class IpvsError(Exception):
    """The one error type; ``to_result`` is what the module hands to fail_json."""

    def __init__(self, msg, **details):
        super(IpvsError, self).__init__(msg)
        self.msg = msg
        self.details = details

    def to_result(self):
        result = dict(self.details)
        result['msg'] = self.msg
        return result


_ADDR_CACHE = {}
_OCTET = r'(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
_CANON_V4 = re.compile(r'^%s(?:\.%s){3}$' % (_OCTET, _OCTET))


def canon_address(text, where='address'):
    """Return ``(canonical text, family)`` of an IP literal (brackets allowed)."""
    hit = _ADDR_CACHE.get(text)
    if hit is not None:
        return hit
    raw = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    if _CANON_V4.match(raw):
        # Already canonical (inet_ntop output always is): skip ipaddress,
        # which costs more than the rest of parsing a 40,000 server table.
        hit = (raw, 'inet')
        if len(_ADDR_CACHE) < 200000:
            _ADDR_CACHE[text] = hit
        return hit
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        raise IpvsError('%s: %r is not an IP address (host names are not '
                        'accepted, the table must not depend on DNS)' % (where, text))
    hit = (str(ip), 'inet6' if ip.version == 6 else 'inet')
    if len(_ADDR_CACHE) < 200000:
        _ADDR_CACHE[text] = hit
    return hit


_PROTO_NUMBERS = {'tcp': 6, 'udp': 17, 'sctp': 132}
_SORT_CACHE = {}


def _ip_sort(address):
    hit = _SORT_CACHE.get(address)
    if hit is None:
        if ':' in address:
            hit = (6, int(ipaddress.IPv6Address(address)))
        else:
            a, b, c, d = address.split('.')
            hit = (4, (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d))
        if len(_SORT_CACHE) < 200000:
            _SORT_CACHE[address] = hit
    return hit


def hostport(address, port):
    if ':' in address:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


def split_hostport(text, where):
    """Split ``a.b.c.d[:port]`` / ``[v6][:port]``; port None when absent."""
    if text.startswith('['):
        end = text.find(']')
        if end < 0:
            raise IpvsError('%s: unbalanced brackets in %r' % (where, text))
        host, rest = text[:end + 1], text[end + 1:]
        if rest and not rest.startswith(':'):
            raise IpvsError('%s: cannot parse %r' % (where, text))
        port = rest[1:] if rest else None
    elif text.count(':') == 1:
        host, port = text.split(':')
    elif ':' in text:
        # A bare IPv6 literal: ipvsadm itself requires brackets, but a
        # declaration without a port is unambiguous.
        host, port = text, None
    else:
        host, port = text, None
    if port is not None:
        if not port.isdigit() or int(port) > 65535:
            raise IpvsError('%s: bad port in %r (numeric ports only)' % (where, text))
        port = int(port)
    return host, port


def _int(value, where, low, high):
    if isinstance(value, bool):
        raise IpvsError('%s: %r is not an integer' % (where, value))
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise IpvsError('%s: %r is not an integer' % (where, value))
    if number < low or number > high:
        raise IpvsError('%s: %d is outside %d..%d' % (where, number, low, high))
    return number


def canon_netmask(value, family, where):
    """Canonical persistence netmask or None for the per-client default.

    ipvsadm prints IPv4 masks dotted and IPv6 masks as a prefix length, and
    omits the default (/32, /128); the same conventions keep the diff quiet.
    """
    if value is None or value == '':
        return None
    text = str(value).strip().lstrip('/')
    if family == 'inet6':
        prefix = _int(text, where, 1, 128)
        return None if prefix == 128 else str(prefix)
    try:
        if text.isdigit():
            net = ipaddress.IPv4Network('0.0.0.0/%d' % _int(text, where, 0, 32))
        else:
            net = ipaddress.IPv4Network('0.0.0.0/%s' % text)
    except ValueError:
        raise IpvsError('%s: %r is not an IPv4 netmask' % (where, value))
    mask = str(net.netmask)
    return None if mask == '255.255.255.255' else mask


def canon_sched_flags(flags, scheduler, where):
    if not flags:
        return ()
    if isinstance(flags, str):
        flags = flags.split(',')
    bits = set()
    for flag in flags:
        flag = flag.strip()
        if not flag:
            continue
        bit = _FLAG_BITS.get(flag)
        if bit is None:
            raise IpvsError('%s: unknown scheduler flag %r' % (where, flag))
        prefix = flag.split('-')[0]
        if prefix in ('sh', 'mh') and prefix != scheduler:
            raise IpvsError('%s: flag %r needs scheduler %s (ipvsadm rejects it '
                            'with %s)' % (where, flag, prefix, scheduler))
        bits.add(bit)
    names = _FLAG_NAMES.get(scheduler, {})
    if scheduler in _FLAG_NAMES and 3 in bits:
        # ipvsadm -S would print an empty "-b" for it, which -R cannot read.
        raise IpvsError('%s: flag-3 is meaningless for scheduler %s' % (where, scheduler))
    return tuple(names.get(bit, 'flag-%d' % bit) for bit in sorted(bits))


class RealServer(object):
    __slots__ = ('address', 'port', 'weight', 'forward', 'upper_threshold',
                 'lower_threshold', 'tun_type', 'tun_port', 'tun_csum', 'family')

    def __init__(self, address, port, weight=1, forward='dr', upper_threshold=0,
                 lower_threshold=0, tun_type=None, tun_port=None, tun_csum=None,
                 family='inet'):
        self.address = address
        self.port = port
        self.weight = weight
        self.forward = forward
        self.upper_threshold = upper_threshold
        self.lower_threshold = lower_threshold
        self.family = family
        # Normalise tunnel options so "-i" and "-i --tun-type ipip" compare
        # equal, as they mean the same to the kernel.
        if forward == 'tun':
            tun_type = tun_type or 'ipip'
            if tun_type == 'ipip':
                tun_port, tun_csum = None, None
            else:
                tun_csum = tun_csum or 'nocsum'
                if tun_type != 'gue':
                    tun_port = None
        else:
            tun_type = tun_port = tun_csum = None
        self.tun_type = tun_type
        self.tun_port = tun_port
        self.tun_csum = tun_csum

    @property
    def key(self):
        return (self.address, self.port)

    def attrs(self):
        return (self.weight, self.forward, self.upper_threshold, self.lower_threshold,
                self.tun_type, self.tun_port, self.tun_csum)

    def options(self):
        """``-r ... -g -w N ...``: everything ``-a``/``-e`` need."""
        parts = ['-r', hostport(self.address, self.port), FORWARD_OPTS[self.forward],
                 '-w', str(self.weight)]
        if self.tun_type and self.tun_type != 'ipip':
            parts += ['--tun-type', self.tun_type]
            if self.tun_port is not None:
                parts += ['--tun-port', str(self.tun_port)]
            parts.append('--tun-' + self.tun_csum)
        if self.upper_threshold:
            parts += ['-x', str(self.upper_threshold)]
        if self.lower_threshold:
            parts += ['-y', str(self.lower_threshold)]
        return ' '.join(parts)

    def to_data(self):
        return {'address': self.address, 'port': self.port, 'weight': self.weight,
                'forward': self.forward, 'upper_threshold': self.upper_threshold,
                'lower_threshold': self.lower_threshold, 'tun_type': self.tun_type,
                'tun_port': self.tun_port, 'tun_csum': self.tun_csum}

    def copy(self):
        return RealServer(self.address, self.port, self.weight, self.forward,
                          self.upper_threshold, self.lower_threshold, self.tun_type,
                          self.tun_port, self.tun_csum, self.family)

    def __eq__(self, other):
        return isinstance(other, RealServer) and self.key == other.key \
            and self.attrs() == other.attrs()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return 'RealServer(%s)' % self.options()


class Service(object):
    __slots__ = ('protocol', 'address', 'port', 'fwmark', 'family', 'scheduler',
                 'persistence_timeout', 'persistence_netmask', 'persistence_engine',
                 'one_packet', 'scheduler_flags', 'realservers', 'spec', 'key')

    def __init__(self, protocol=None, address=None, port=None, fwmark=None,
                 family='inet', scheduler=DEFAULT_SCHEDULER, persistence_timeout=None,
                 persistence_netmask=None, persistence_engine=None, one_packet=False,
                 scheduler_flags=()):
        self.protocol = protocol
        self.address = address
        self.port = port
        self.fwmark = fwmark
        self.family = family
        self.scheduler = scheduler
        self.persistence_timeout = persistence_timeout
        self.persistence_netmask = persistence_netmask if persistence_timeout else None
        self.persistence_engine = persistence_engine
        self.one_packet = bool(one_packet)
        self.scheduler_flags = tuple(scheduler_flags)
        self.realservers = {}
        if fwmark is not None:
            self.spec = '-f %d -6' % fwmark if family == 'inet6' else '-f %d' % fwmark
            self.key = ('fwm', family, fwmark)
        else:
            self.spec = '%s %s' % (PROTOCOL_OPTS[protocol], hostport(address, port))
            self.key = (protocol, address, port)

    def attrs(self):
        return (self.scheduler, self.persistence_timeout, self.persistence_netmask,
                self.persistence_engine, self.one_packet, self.scheduler_flags)

    def options(self):
        """``-s ... [-p ...]``: everything ``-A``/``-E`` need (see module doc)."""
        parts = ['-s', self.scheduler]
        if self.persistence_timeout:
            parts += ['-p', str(self.persistence_timeout)]
            if self.persistence_netmask:
                parts += ['-M', self.persistence_netmask]
        if self.persistence_engine:
            parts += ['--pe', self.persistence_engine]
        if self.one_packet:
            parts.append('-o')
        if self.scheduler_flags:
            parts += ['-b', ','.join(self.scheduler_flags)]
        return ' '.join(parts)

    def sort_key(self):
        # ipvsadm's own order (libipvs ipvs_cmp_services), so the rendered
        # text lines up with real ``ipvsadm -Sn`` output.
        if self.fwmark is not None:
            return (self.fwmark, self.family, 0, (0, 0), 0)
        return (0, self.family, _PROTO_NUMBERS[self.protocol], _ip_sort(self.address),
                self.port)

    def sorted_realservers(self):
        return [self.realservers[k] for k in
                sorted(self.realservers, key=lambda k: (_ip_sort(k[0]), k[1]))]

    def copy(self, with_realservers=True):
        svc = Service(self.protocol, self.address, self.port, self.fwmark, self.family,
                      self.scheduler, self.persistence_timeout, self.persistence_netmask,
                      self.persistence_engine, self.one_packet, self.scheduler_flags)
        if with_realservers:
            svc.realservers = dict((k, rs.copy()) for k, rs in self.realservers.items())
        return svc

    def to_data(self):
        return {'protocol': self.protocol, 'address': self.address, 'port': self.port,
                'fwmark': self.fwmark, 'family': self.family, 'scheduler': self.scheduler,
                'persistence_timeout': self.persistence_timeout,
                'persistence_netmask': self.persistence_netmask,
                'persistence_engine': self.persistence_engine,
                'one_packet': self.one_packet,
                'scheduler_flags': list(self.scheduler_flags),
                'realservers': [rs.to_data() for rs in self.sorted_realservers()]}

    def __eq__(self, other):
        return isinstance(other, Service) and self.key == other.key \
            and self.attrs() == other.attrs() and self.realservers == other.realservers

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return 'Service(%s %s, %d rs)' % (self.spec, self.options(), len(self.realservers))


class Table(object):
    """Services by key; equality is exact (attributes and real servers)."""

    __slots__ = ('services',)

    def __init__(self, services=None):
        self.services = {}
        for svc in services or ():
            self.add(svc)

    def add(self, svc):
        if svc.key in self.services:
            raise IpvsError('service %s is declared twice' % svc.spec)
        self.services[svc.key] = svc

    def sorted_services(self):
        return sorted(self.services.values(), key=Service.sort_key)

    def copy(self):
        table = Table()
        table.services = dict((k, s.copy()) for k, s in self.services.items())
        return table

    def to_data(self):
        return [svc.to_data() for svc in self.sorted_services()]

    def render(self):
        """Canonical ``ipvsadm -Sn`` text: sorted, so diffs of it are minimal."""
        lines = []
        for svc in self.sorted_services():
            lines.append('-A %s %s' % (svc.spec, svc.options()))
            for rs in svc.sorted_realservers():
                lines.append('-a %s %s' % (svc.spec, rs.options()))
        return ''.join(line + '\n' for line in lines)

    def __len__(self):
        return len(self.services)

    def __eq__(self, other):
        return isinstance(other, Table) and self.services == other.services

    def __ne__(self, other):
        return not self == other

    __hash__ = None


# ---------------------------------------------------------------- declarations

def _blank(value):
    return value is None or value == '' or value == []


def service_from_spec(spec, where='services[0]'):
    """Build a Service from a module/model dict; None means "not set"."""
    if not isinstance(spec, dict):
        raise IpvsError('%s: expected a dict, got %r' % (where, spec))
    fwmark = spec.get('fwmark')
    address = spec.get('address')
    if not _blank(fwmark):
        fwmark = _int(fwmark, where + '.fwmark', 1, 4294967295)
        if not _blank(address) or not _blank(spec.get('port')):
            raise IpvsError('%s: fwmark is mutually exclusive with address/port' % where)
        protocol = port = address = None
        family = spec.get('family')
        if _blank(family):
            # A fwmark service has no address to take the family from; its
            # real servers are the only hint (all IPv6 => an IPv6 service).
            rs_fams = [canon_address(str(rs.get('address')), where)[1]
                       for rs in spec.get('realservers') or ()
                       if isinstance(rs, dict) and not _blank(rs.get('address'))]
            family = 'inet6' if rs_fams and all(f == 'inet6' for f in rs_fams) else 'inet'
        elif family not in FAMILIES:
            raise IpvsError('%s.family: must be one of %s' % (where, ', '.join(FAMILIES)))
    else:
        if _blank(address):
            raise IpvsError('%s: either address (with port) or fwmark is required' % where)
        host, inline_port = split_hostport(str(address), where + '.address')
        address, family = canon_address(host, where + '.address')
        if spec.get('family') not in (None, '', family):
            raise IpvsError('%s.family: %s does not match address %s'
                            % (where, spec.get('family'), address))
        port = spec.get('port')
        port = inline_port if _blank(port) else _int(port, where + '.port', 0, 65535)
        if port is None:
            raise IpvsError('%s.port: required for an address service' % where)
        protocol = spec.get('protocol') or 'tcp'
        if protocol not in PROTOCOL_OPTS:
            raise IpvsError('%s.protocol: must be one of tcp, udp, sctp' % where)
    scheduler = spec.get('scheduler') or DEFAULT_SCHEDULER
    if not re.match(r'^[a-z0-9_]{1,15}$', str(scheduler)):
        raise IpvsError('%s.scheduler: %r is not a scheduler name' % (where, scheduler))
    persistence = spec.get('persistence_timeout')
    persistence = None if _blank(persistence) else \
        _int(persistence, where + '.persistence_timeout', 0, MAX_TIMEOUT) or None
    netmask = canon_netmask(spec.get('persistence_netmask'), family,
                            where + '.persistence_netmask')
    if netmask and not persistence:
        raise IpvsError('%s.persistence_netmask: only meaningful with '
                        'persistence_timeout' % where)
    if port == 0 and fwmark is None and not persistence:
        raise IpvsError('%s: port 0 (any port) requires persistence_timeout, as in '
                        'ipvsadm' % where)
    pe = spec.get('persistence_engine') or None
    one_packet = bool(spec.get('one_packet'))
    if one_packet and protocol not in (None, 'udp'):
        raise IpvsError('%s.one_packet: only for UDP or fwmark services' % where)
    flags = canon_sched_flags(spec.get('scheduler_flags'), scheduler,
                              where + '.scheduler_flags')
    svc = Service(protocol, address, port, fwmark, family, scheduler, persistence,
                  netmask, pe, one_packet, flags)
    for index, rs_spec in enumerate(spec.get('realservers') or ()):
        rs = realserver_from_spec(rs_spec, svc, '%s.realservers[%d]' % (where, index))
        if rs.key in svc.realservers:
            raise IpvsError('%s.realservers[%d]: %s is declared twice'
                            % (where, index, hostport(rs.address, rs.port)))
        svc.realservers[rs.key] = rs
    return svc


def realserver_from_spec(spec, svc, where):
    if not isinstance(spec, dict):
        raise IpvsError('%s: expected a dict, got %r' % (where, spec))
    if _blank(spec.get('address')):
        raise IpvsError('%s.address: required' % where)
    host, inline_port = split_hostport(str(spec['address']), where + '.address')
    address, family = canon_address(host, where + '.address')
    forward = spec.get('forward') or 'dr'
    if forward not in FORWARD_OPTS:
        raise IpvsError('%s.forward: must be one of dr, tun, nat' % where)
    port = spec.get('port')
    port = inline_port if _blank(port) else _int(port, where + '.port', 0, 65535)
    if port is None:
        port = svc.port if svc.fwmark is None else 0
    if svc.fwmark is None and forward != 'nat' and port != svc.port:
        raise IpvsError('%s.port: %s real servers must use the service port %d '
                        '(ipvsadm silently forces it)' % (where, forward, svc.port))
    if family != svc.family and forward != 'tun':
        raise IpvsError('%s: a real server of another address family than its '
                        'service needs forward=tun' % where)
    weight = spec.get('weight')
    weight = 1 if _blank(weight) else _int(weight, where + '.weight', 0, MAX_WEIGHT)
    upper = spec.get('upper_threshold')
    lower = spec.get('lower_threshold')
    upper = 0 if _blank(upper) else _int(upper, where + '.upper_threshold', 0, MAX_THRESHOLD)
    lower = 0 if _blank(lower) else _int(lower, where + '.lower_threshold', 0, MAX_THRESHOLD)
    tun_type = spec.get('tun_type') or None
    tun_port = spec.get('tun_port')
    tun_csum = spec.get('tun_csum') or None
    if forward != 'tun' and (tun_type or not _blank(tun_port) or tun_csum):
        raise IpvsError('%s: tun_* options need forward=tun' % where)
    if tun_type is not None and tun_type not in TUN_TYPES:
        raise IpvsError('%s.tun_type: must be one of %s' % (where, ', '.join(TUN_TYPES)))
    if tun_csum is not None and tun_csum not in TUN_CSUMS:
        raise IpvsError('%s.tun_csum: must be one of %s' % (where, ', '.join(TUN_CSUMS)))
    if (tun_type or 'ipip') == 'ipip' and tun_csum:
        raise IpvsError('%s.tun_csum: not valid for ipip tunnels' % where)
    if tun_type == 'gre' and tun_csum == 'remcsum':
        raise IpvsError('%s.tun_csum: remcsum is only valid for gue tunnels' % where)
    if tun_type == 'gue':
        if _blank(tun_port):
            raise IpvsError('%s.tun_port: required for gue tunnels' % where)
        tun_port = _int(tun_port, where + '.tun_port', 1, 65535)
    elif not _blank(tun_port):
        raise IpvsError('%s.tun_port: only valid for gue tunnels' % where)
    else:
        tun_port = None
    return RealServer(address, port, weight, forward, upper, lower, tun_type,
                      tun_port, tun_csum, family)


def table_from_spec(services):
    table = Table()
    for index, spec in enumerate(services or ()):
        svc = service_from_spec(spec, 'services[%d]' % index)
        if svc.key in table.services:
            raise IpvsError('services[%d]: service %s is declared twice' % (index, svc.spec))
        table.services[svc.key] = svc
    return table


# --------------------------------------------------------------------- parsing

class Command(object):
    """One parsed ipvsadm rule line (``op`` is A, E, D, a, e, d, C or set)."""

    __slots__ = ('op', 'service', 'realserver', 'timeouts', 'line')

    def __init__(self, op, service=None, realserver=None, timeouts=None, line=''):
        self.op = op
        self.service = service
        self.realserver = realserver
        self.timeouts = timeouts
        self.line = line


_OPS = {'-A': 'A', '--add-service': 'A', '-E': 'E', '--edit-service': 'E',
        '-D': 'D', '--delete-service': 'D', '-a': 'a', '--add-server': 'a',
        '-e': 'e', '--edit-server': 'e', '-d': 'd', '--delete-server': 'd',
        '-C': 'C', '--clear': 'C', '--set': 'set'}
_VALUE_OPTS = {'-s': 'scheduler', '--scheduler': 'scheduler', '-M': 'netmask',
               '--netmask': 'netmask', '--pe': 'pe', '-b': 'flags',
               '--sched-flags': 'flags', '-r': 'rs', '--real-server': 'rs',
               '--remote-server': 'rs', '-w': 'weight', '--weight': 'weight',
               '-x': 'upper', '--u-threshold': 'upper', '-y': 'lower',
               '--l-threshold': 'lower', '--tun-type': 'tun_type',
               '--tun-port': 'tun_port', '-f': 'fwmark', '--fwmark-service': 'fwmark'}
_FLAG_OPTS = {'-6': 'ipv6', '--ipv6': 'ipv6', '-o': 'ops', '--ops': 'ops',
              '--tun-nocsum': 'nocsum', '--tun-csum': 'csum', '--tun-remcsum': 'remcsum'}
# The shape ipvsadm -S prints for nearly every line; matched first because
# the benchmark parses 50,000 of these.
_FAST_RS = re.compile(r'^-a ((?:-[tu]|--sctp-service) \S+) -r '
                      r'([0-9.]+|\[[0-9a-fA-F:.]+\]):([0-9]+) -([gm]) -w ([0-9]+)$')
_FAST_SVC = re.compile(r'^-A ((?:-[tu]|--sctp-service) \S+) -s ([a-z0-9_]+)$')


def _tokens(line):
    tokens = []
    for token in line.split():
        if token.startswith('--') and '=' in token:
            tokens.extend(token.split('=', 1))
        else:
            tokens.append(token)
    if tokens and tokens[0] in ('ipvsadm', '/sbin/ipvsadm', '/usr/sbin/ipvsadm'):
        tokens = tokens[1:]
    return tokens


def parse_rule(line, where='line'):
    """Parse one ipvsadm rule (as printed by ``-S`` or accepted by ``-R``).

    Unknown options raise: silently dropping one would make the next ``-E``
    or ``-e`` (which replaces every attribute) destroy what it meant.
    """
    tokens = _tokens(line)
    if not tokens:
        return None
    op = None
    values = {}
    flags = set()
    protocol = None
    svc_text = None
    set_args = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _OPS:
            if op is not None:
                raise IpvsError('%s: two commands in %r' % (where, line))
            op = _OPS[tok]
        elif tok in OPT_PROTOCOLS:
            i += 1
            if i >= len(tokens):
                raise IpvsError('%s: %s needs an address in %r' % (where, tok, line))
            protocol, svc_text = OPT_PROTOCOLS[tok], tokens[i]
        elif tok in _VALUE_OPTS:
            i += 1
            if i >= len(tokens):
                raise IpvsError('%s: %s needs a value in %r' % (where, tok, line))
            values[_VALUE_OPTS[tok]] = tokens[i]
        elif tok in ('-p', '--persistent'):
            if i + 1 < len(tokens) and tokens[i + 1].isdigit():
                i += 1
                values['persistent'] = tokens[i]
            else:
                values['persistent'] = str(DEFAULT_PERSISTENCE)
        elif tok in OPT_FORWARDS:
            values['forward'] = OPT_FORWARDS[tok]
        elif tok in _FLAG_OPTS:
            flags.add(_FLAG_OPTS[tok])
        elif op == 'set' and tok.isdigit():
            set_args.append(int(tok))
        else:
            raise IpvsError('%s: unsupported token %r in %r' % (where, tok, line))
        i += 1
    if op is None:
        raise IpvsError('%s: no ipvsadm command in %r' % (where, line))
    if op == 'C':
        return Command('C', line=line)
    if op == 'set':
        if len(set_args) != 3:
            raise IpvsError('%s: --set needs 3 timeouts in %r' % (where, line))
        return Command('set', timeouts=dict(zip(('tcp', 'tcpfin', 'udp'), set_args)),
                       line=line)
    if 'fwmark' in values:
        if svc_text is not None:
            raise IpvsError('%s: both -f and an address in %r' % (where, line))
        fwmark = _int(values['fwmark'], where, 1, 4294967295)
        family = 'inet6' if 'ipv6' in flags else 'inet'
        address = port = None
    elif svc_text is not None:
        host, port = split_hostport(svc_text, where)
        address, family = canon_address(host, where)
        port = port or 0
        fwmark = None
    else:
        raise IpvsError('%s: no virtual service in %r' % (where, line))
    scheduler = values.get('scheduler', DEFAULT_SCHEDULER)
    persistence = int(values['persistent']) if 'persistent' in values else None
    svc = Service(protocol, address, port, fwmark, family, scheduler, persistence,
                  canon_netmask(values.get('netmask'), family, where),
                  values.get('pe'), 'ops' in flags,
                  canon_sched_flags(values.get('flags'), scheduler, where))
    rs = None
    if op in ('a', 'e', 'd'):
        if 'rs' not in values:
            raise IpvsError('%s: -r is required in %r' % (where, line))
        host, rs_port = split_hostport(values['rs'], where)
        rs_addr, rs_family = canon_address(host, where)
        forward = values.get('forward', 'dr')
        if rs_port is None:
            rs_port = port if fwmark is None else 0
        elif op != 'd' and fwmark is None and forward != 'nat':
            # ipvsadm's own rule for -a/-e (not -d): DR/TUN ports follow the
            # service port.
            rs_port = port
        csum = [c for c in ('nocsum', 'csum', 'remcsum') if c in flags]
        rs = RealServer(rs_addr, rs_port, int(values.get('weight', 1)), forward,
                        int(values.get('upper', 0)), int(values.get('lower', 0)),
                        values.get('tun_type'),
                        int(values['tun_port']) if 'tun_port' in values else None,
                        csum[-1] if csum else None, rs_family)
    return Command(op, svc, rs, line=line)


def parse_save(text):
    """Parse ``ipvsadm -Sn`` output into a Table."""
    table = Table()
    services = table.services
    by_spec = {}
    rs_match = _FAST_RS.match
    svc_match = _FAST_SVC.match
    cache = _ADDR_CACHE
    for number, line in enumerate(text.splitlines(), 1):
        m = rs_match(line)
        if m is not None:
            svc_text, host, port, fwd, weight = m.groups()
            svc = by_spec.get(svc_text)
            hit = cache.get(host) or canon_address(host)
            if svc is not None and hit[1] == svc.family:
                forward = 'dr' if fwd == 'g' else 'nat'
                port = svc.port if forward == 'dr' else int(port)
                svc.realservers[(hit[0], port)] = RealServer(hit[0], port, int(weight),
                                                             forward, family=hit[1])
                continue
        m = svc_match(line)
        if m is not None:
            svc_text, scheduler = m.groups()
            host, port = split_hostport(svc_text.split(' ', 1)[1], 'ipvsadm -Sn')
            address, family = canon_address(host, 'ipvsadm -Sn')
            svc = Service(OPT_PROTOCOLS[svc_text.split(' ', 1)[0]], address, port or 0,
                          None, family, scheduler)
            if svc.key not in services:
                services[svc.key] = svc
                by_spec[svc_text] = svc
                continue
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        where = 'ipvsadm -Sn line %d' % number
        cmd = parse_rule(line, where)
        if cmd.op == 'A':
            if cmd.service.key in services:
                raise IpvsError('%s: duplicate service %s' % (where, cmd.service.spec))
            services[cmd.service.key] = cmd.service
            if cmd.service.fwmark is None:
                by_spec[cmd.service.spec] = cmd.service
        elif cmd.op == 'a':
            svc = services.get(cmd.service.key)
            if svc is None:
                raise IpvsError('%s: real server for unknown service %s'
                                % (where, cmd.service.spec))
            svc.realservers[cmd.realserver.key] = cmd.realserver
        else:
            raise IpvsError('%s: unexpected %r in saved table' % (where, line))
    return table


# -------------------------------------------------------------------- timeouts

TIMEOUT_KEYS = ('tcp', 'tcpfin', 'udp')
_TIMEOUT_RE = re.compile(r'Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)')


def parse_timeouts(text):
    m = _TIMEOUT_RE.search(text or '')
    if m is None:
        raise IpvsError('cannot parse ipvsadm timeouts from %r' % (text,))
    return dict(zip(TIMEOUT_KEYS, (int(v) for v in m.groups())))


def canon_timeouts(spec):
    """Declared timeouts, None entries (and None as a whole) meaning unmanaged."""
    if not spec:
        return None
    out = {}
    for key in TIMEOUT_KEYS:
        value = spec.get(key)
        if not _blank(value):
            # 0 is ipvsadm's "keep current", so it cannot be a declared value.
            out[key] = _int(value, 'timeouts.' + key, 1, MAX_TIMEOUT)
    unknown = set(spec) - set(TIMEOUT_KEYS)
    if unknown:
        raise IpvsError('timeouts: unknown keys %s' % ', '.join(sorted(unknown)))
    return out or None


def timeouts_command(current, desired):
    """``--set a b c`` line (0 = keep) or None when nothing differs."""
    if not desired:
        return None
    values = []
    for key in TIMEOUT_KEYS:
        want = desired.get(key)
        values.append(0 if want is None or want == current.get(key) else want)
    if not any(values):
        return None
    return '--set %d %d %d' % tuple(values)


def render_timeouts(timeouts):
    return '--set %d %d %d\n' % tuple(timeouts.get(k, 0) for k in TIMEOUT_KEYS)
