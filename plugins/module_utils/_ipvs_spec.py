# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarations (the ``services`` option of lvs.cluster.ipvs) checked into a Table.

Pure.  Every rule ipvsadm or the kernel would enforce (or silently work
around) is checked here first, so a declaration that passes can converge;
each message names the field (``services[3].realservers[0].port``).

For non-fwmark services ipvsadm forces a DR/TUN real server's port to the
service port, so a different declared port could never converge.

The module gives ``services`` to AnsibleModule as a list of dicts without
nested options: at 10,000 services x 4 real servers AnsibleModule's
per-suboption validation cost 5.6 s of a 10.8 s no-op in the lab VM
(docs/testing.md).  So the checks AnsibleModule made are made here, in one
pass: unknown keys are refused, and values convert as its types convert them
(``SERVICE_KEYS``/``REALSERVER_KEYS``; a unit test holds them to the module's
documented suboptions and compares the results with ArgumentSpecValidator's).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.lvs.cluster.plugins.module_utils import _inet
from ansible_collections.lvs.cluster.plugins.module_utils._inet import (
    DEFAULT_SCHEDULER, DEFAULT_WEIGHT, INET, INET6, IPVS_MAX_WEIGHT, MAX_FWMARK, MAX_PORT, hostport,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import (
    FAMILIES, FORWARD_OPTS, MAX_THRESHOLD, MAX_TIMEOUT, OPT_FORWARDS, OPT_PROTOCOLS, PROTOCOL_OPTS,
    TUN_CSUMS, TUN_TYPES, IpvsError, RealServer, Service, Table,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import rule_parts
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import (
    blank, canon_address, canon_netmask, canon_sched_flags, check_bool, check_int, check_text,
    split_hostport,
)

# Every key a declaration may hold, with the type AnsibleModule would give it
# (the module's DOCUMENTATION suboptions; tests/unit/.../test_ipvs_spec_args.py).
SERVICE_KEYS = {
    'protocol': 'str', 'address': 'str', 'port': 'int', 'fwmark': 'int', 'family': 'str',
    'scheduler': 'str', 'persistence_timeout': 'int', 'persistence_netmask': 'str',
    'persistence_engine': 'str', 'one_packet': 'bool', 'scheduler_flags': 'list',
    'realservers': 'list',
}
REALSERVER_KEYS = {
    'address': 'str', 'port': 'int', 'weight': 'int', 'forward': 'str',
    'upper_threshold': 'int', 'lower_threshold': 'int', 'tun_type': 'str', 'tun_port': 'int',
    'tun_csum': 'str',
}


def _check_keys(spec, known, where):
    """A dict with no key outside ``known`` (AnsibleModule's "Unsupported parameters")."""
    if not isinstance(spec, dict):
        raise IpvsError('%s: expected a dict, got %r' % (where, spec))
    if not known.keys() >= spec.keys():
        unknown = sorted(str(key) for key in spec if key not in known)
        raise IpvsError('%s: unsupported key%s %s; supported: %s'
                        % (where, 's' if len(unknown) > 1 else '', ', '.join(unknown),
                           ', '.join(sorted(known))))


def service_from_spec(spec, where='services[0]'):
    """Build a Service from a module/model dict; None, '' and [] mean "not set"."""
    _check_keys(spec, SERVICE_KEYS, where)
    rs_specs = spec.get('realservers')
    if blank(rs_specs):
        rs_specs = ()
    elif not isinstance(rs_specs, (list, tuple)):
        raise IpvsError('%s.realservers: expected a list, got %r' % (where, rs_specs))
    fwmark = spec.get('fwmark')
    address = spec.get('address')
    if not blank(fwmark):
        fwmark = check_int(fwmark, where + '.fwmark', 1, MAX_FWMARK)
        if not blank(address) or not blank(spec.get('port')):
            raise IpvsError('%s: fwmark is mutually exclusive with address/port' % where)
        protocol = port = address = None
        family = check_text(spec.get('family'), where + '.family')
        if blank(family):
            # A fwmark service has no address to take the family from; its
            # real servers are the only hint (all IPv6 => an IPv6 service).
            rs_fams = [canon_address(str(rs.get('address')), where)[1]
                       for rs in rs_specs if isinstance(rs, dict) and not blank(rs.get('address'))]
            family = INET6 if rs_fams and all(f == INET6 for f in rs_fams) else INET
        elif family not in FAMILIES:
            raise IpvsError('%s.family: must be one of %s' % (where, ', '.join(FAMILIES)))
    else:
        fwmark = None
        if blank(address):
            raise IpvsError('%s: either address (with port) or fwmark is required' % where)
        host, inline_port = split_hostport(check_text(address, where + '.address'), where + '.address')
        address, family = canon_address(host, where + '.address')
        declared_family = check_text(spec.get('family'), where + '.family')
        if declared_family not in (None, '', family):
            raise IpvsError('%s.family: %s does not match address %s'
                            % (where, declared_family, address))
        port = spec.get('port')
        port = inline_port if blank(port) else check_int(port, where + '.port', 0, MAX_PORT)
        if port is None:
            raise IpvsError('%s.port: required for an address service' % where)
        protocol = check_text(spec.get('protocol'), where + '.protocol') or 'tcp'
        if protocol not in PROTOCOL_OPTS:
            raise IpvsError('%s.protocol: must be one of tcp, udp, sctp' % where)
    scheduler = check_text(spec.get('scheduler'), where + '.scheduler') or DEFAULT_SCHEDULER
    if not re.match(r'^[a-z0-9_]{1,15}$', scheduler):
        raise IpvsError('%s.scheduler: %r is not a scheduler name' % (where, scheduler))
    persistence = spec.get('persistence_timeout')
    persistence = None if blank(persistence) else \
        check_int(persistence, where + '.persistence_timeout', 0, MAX_TIMEOUT) or None
    netmask = canon_netmask(check_text(spec.get('persistence_netmask'),
                                       where + '.persistence_netmask'), family,
                            where + '.persistence_netmask')
    if netmask and not persistence:
        raise IpvsError('%s.persistence_netmask: only meaningful with '
                        'persistence_timeout' % where)
    if port == 0 and fwmark is None and not persistence:
        raise IpvsError('%s: port 0 (any port) requires persistence_timeout, as in '
                        'ipvsadm' % where)
    pe = check_text(spec.get('persistence_engine'), where + '.persistence_engine') or None
    one_packet = check_bool(spec.get('one_packet'), where + '.one_packet')
    if one_packet and protocol not in (None, 'udp'):
        raise IpvsError('%s.one_packet: only for UDP or fwmark services' % where)
    flags = canon_sched_flags(spec.get('scheduler_flags'), scheduler,
                              where + '.scheduler_flags')
    svc = Service(protocol, address, port, fwmark, family, scheduler, persistence,
                  netmask, pe, one_packet, flags)
    for index, rs_spec in enumerate(rs_specs):
        rs = realserver_from_spec(rs_spec, svc, '%s.realservers[%d]' % (where, index))
        if rs.key in svc.realservers:
            raise IpvsError('%s.realservers[%d]: %s is declared twice'
                            % (where, index, hostport(rs.address, rs.port)))
        svc.realservers[rs.key] = rs
    return svc


def realserver_from_spec(spec, svc, where):
    _check_keys(spec, REALSERVER_KEYS, where)
    if blank(spec.get('address')):
        raise IpvsError('%s.address: required' % where)
    host, inline_port = split_hostport(check_text(spec['address'], where + '.address'),
                                       where + '.address')
    address, family = canon_address(host, where + '.address')
    forward = check_text(spec.get('forward'), where + '.forward') or 'dr'
    if forward not in FORWARD_OPTS:
        raise IpvsError('%s.forward: must be one of dr, tun, nat' % where)
    port = spec.get('port')
    port = inline_port if blank(port) else check_int(port, where + '.port', 0, MAX_PORT)
    if port is None:
        port = svc.port if svc.fwmark is None else 0
    if svc.fwmark is None and forward != 'nat' and port != svc.port:
        raise IpvsError('%s.port: %s real servers must use the service port %d '
                        '(ipvsadm silently forces it)' % (where, forward, svc.port))
    if family != svc.family and forward != 'tun':
        raise IpvsError('%s: a real server of another address family than its '
                        'service needs forward=tun' % where)
    weight = spec.get('weight')
    weight = DEFAULT_WEIGHT if blank(weight) else \
        check_int(weight, where + '.weight', 0, IPVS_MAX_WEIGHT)
    upper = spec.get('upper_threshold')
    lower = spec.get('lower_threshold')
    upper = 0 if blank(upper) else check_int(upper, where + '.upper_threshold', 0, MAX_THRESHOLD)
    lower = 0 if blank(lower) else check_int(lower, where + '.lower_threshold', 0, MAX_THRESHOLD)
    tun_type = check_text(spec.get('tun_type'), where + '.tun_type') or None
    tun_port = spec.get('tun_port')
    tun_csum = check_text(spec.get('tun_csum'), where + '.tun_csum') or None
    if forward != 'tun' and (tun_type or not blank(tun_port) or tun_csum):
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
        if blank(tun_port):
            raise IpvsError('%s.tun_port: required for gue tunnels' % where)
        tun_port = check_int(tun_port, where + '.tun_port', 1, MAX_PORT)
    elif not blank(tun_port):
        raise IpvsError('%s.tun_port: only valid for gue tunnels' % where)
    else:
        tun_port = None
    return RealServer(address, port, weight, forward, upper, lower, tun_type,
                      tun_port, tun_csum)


def table_from_spec(services):
    table = Table()
    for index, spec in enumerate(services or ()):
        svc = service_from_spec(spec, 'services[%d]' % index)
        if svc.key in table.services:
            raise IpvsError('services[%d]: service %s is declared twice' % (index, svc.spec))
        table.services[svc.key] = svc
    return table


# The options of each line of a ``rules`` declaration (rule_parts' names): a real server's
# on a service line, or the reverse, is an error here (ipvsadm would ignore it).
_SERVICE_OPTS = frozenset(('scheduler', 'netmask', 'pe', 'flags', 'fwmark', 'persistent'))
_SERVICE_FLAGS = frozenset(('ipv6', 'ops'))
_SERVER_OPTS = frozenset(('rs', 'forward', 'weight', 'upper', 'lower', 'tun_type', 'tun_port',
                          'fwmark'))
_SERVER_FLAGS = frozenset(('ipv6', 'nocsum', 'csum', 'remcsum'))


def _misplaced(values, flags, opts, opt_flags, where, kind):
    wrong = sorted(set(values) - opts) + sorted(flags - opt_flags)
    if wrong:
        raise IpvsError('%s: %s does not belong on a %s line' % (where, ', '.join(wrong), kind))


# The shape of nearly every real server line ipvsadm -Sn, the ipvs_rules filter and the host_model
# lookup write (40,000 of them at 10,000 x 4). Such a line is read here directly when every check
# realserver_from_spec makes passes trivially (its service declared above, an address of the
# service's family, a DR/TUN port equal to the service's, a weight and port in range, not a
# duplicate); any other line, and every error, goes the general way (a unit test holds the two
# ways to the same tables and errors).
_FAST_RS = re.compile(r'^-a (-[tu]) (\S+) -r ([0-9.]+|\[[0-9a-fA-F:.]+\]):([0-9]{1,5}) (-[gim]) '
                      r'-w ([0-9]{1,10})$')


def _fast_realserver(match, by_text):
    """The service and RealServer of a _FAST_RS line, or None to take the general way."""
    proto, svc_text, host, port, fwd, weight = match.groups()
    svc = by_text.get((OPT_PROTOCOLS[proto], svc_text, None, False))
    if svc is None:
        return None
    try:
        address, family = _inet.canon_address(host)
    except ValueError:
        return None
    port, weight, forward = int(port), int(weight), OPT_FORWARDS[fwd]
    if family != svc.family or port > MAX_PORT or weight > IPVS_MAX_WEIGHT \
            or (forward != 'nat' and port != svc.port) or (address, port) in svc.realservers:
        return None
    return svc, RealServer(address, port, weight, forward)


def table_from_rules(text, fast=True):
    """The table declared as ipvsadm rules (the ``rules`` option): ``-A`` service lines,
    each followed by any number of ``-a`` real server lines, as ``ipvsadm -Sn`` prints
    them and ``ipvsadm -R`` reads them.  Blank lines and ``#`` comments are skipped.

    Each line becomes the dict ``services`` would hold and passes the same checks, so
    a rule ipvsadm would silently work around (a DR port other than the service's) is
    an error naming the line, as is any other command (-E, -D, -C, --set...).
    ``fast=False`` reads every line the general way (for the tests).
    """
    table = Table()
    by_text = {}
    fast_rs = _FAST_RS.match
    for number, line in enumerate((text or '').splitlines(), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        match = fast_rs(line) if fast else None
        if match is not None:
            hit = _fast_realserver(match, by_text)
            if hit is not None:
                hit[0].realservers[hit[1].key] = hit[1]
                continue
        where = 'rules line %d' % number
        op, protocol, svc_text, values, flags, dummy = rule_parts(line, where)
        ident = (protocol, svc_text, values.get('fwmark'), 'ipv6' in flags)
        if op == 'A':
            _misplaced(values, flags, _SERVICE_OPTS, _SERVICE_FLAGS, where, 'service (-A)')
            svc = service_from_spec({
                'protocol': protocol, 'address': svc_text, 'fwmark': values.get('fwmark'),
                'family': 'inet6' if 'ipv6' in flags else (None if svc_text else 'inet'),
                'scheduler': values.get('scheduler'), 'persistence_timeout': values.get('persistent'),
                'persistence_netmask': values.get('netmask'), 'persistence_engine': values.get('pe'),
                'one_packet': 'ops' in flags, 'scheduler_flags': values.get('flags')}, where)
            if svc.key in table.services:
                raise IpvsError('%s: service %s is declared twice' % (where, svc.spec))
            table.services[svc.key] = svc
            by_text[ident] = svc
        elif op == 'a':
            _misplaced(values, flags, _SERVER_OPTS, _SERVER_FLAGS, where, 'real server (-a)')
            svc = by_text.get(ident)
            if svc is None:
                # Spelled otherwise than its -A line (an IPv6 address written another way);
                # the persistence only lets a port-0 service through to its key.
                key = service_from_spec({'protocol': protocol, 'address': svc_text,
                                         'fwmark': values.get('fwmark'), 'persistence_timeout': 1,
                                         'family': 'inet6' if 'ipv6' in flags else None},
                                        where).key
                svc = table.services.get(key)
                if svc is None:
                    raise IpvsError('%s: real server of a service no -A line above declares'
                                    % where)
                by_text[ident] = svc
            csum = [c for c in TUN_CSUMS if c in flags]
            if len(csum) > 1:
                raise IpvsError('%s: more than one of --tun-nocsum, --tun-csum, --tun-remcsum'
                                % where)
            rs = realserver_from_spec({
                'address': values.get('rs'), 'forward': values.get('forward'),
                'weight': values.get('weight'), 'upper_threshold': values.get('upper'),
                'lower_threshold': values.get('lower'), 'tun_type': values.get('tun_type'),
                'tun_port': values.get('tun_port'), 'tun_csum': csum[0] if csum else None},
                svc, where)
            if rs.key in svc.realservers:
                raise IpvsError('%s: %s is declared twice' % (where, hostport(rs.address, rs.port)))
            svc.realservers[rs.key] = rs
        else:
            raise IpvsError('%s: only -A (service) and -a (real server) lines declare a table, '
                            'not %r' % (where, line))
    return table
