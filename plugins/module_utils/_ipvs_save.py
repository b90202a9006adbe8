# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ipvsadm -S`` / ``-R`` rule format: parse rule lines and saved tables, write restore files.

Pure: text in, Table or Command out.  Rules follow ipvsadm 1.31's option
parser; a saved table is what ``ipvsadm -Sn`` prints (see ``_ipvs_types``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.lvs.cluster.plugins.module_utils._inet import (
    DEFAULT_SCHEDULER, DEFAULT_WEIGHT, INET, INET6, MAX_FWMARK,
)
from ansible_collections.lvs.cluster.plugins.module_utils import _inet
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import (
    DEFAULT_PERSISTENCE, OPT_FORWARDS, OPT_PROTOCOLS, TUN_CSUMS, IpvsError, RealServer, Service,
    Table,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import (
    canon_address, canon_netmask, canon_sched_flags, check_int, split_hostport,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import TIMEOUT_KEYS


class Command(object):
    """One parsed ipvsadm rule line (``op`` is A, E, D, a, e, d, C or set)."""

    __slots__ = ('op', 'service', 'realserver', 'timeouts')

    def __init__(self, op, service=None, realserver=None, timeouts=None):
        self.op = op
        self.service = service
        self.realserver = realserver
        self.timeouts = timeouts


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


def rule_parts(line, where='line'):
    """The parts of one ipvsadm rule, unchecked: ``(op, protocol, service text, values,
    flags, set arguments)``, or None for an empty line.  ``values`` maps the option
    names of ``_VALUE_OPTS`` (and ``persistent``, ``forward``) to their text.

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
    return op, protocol, svc_text, values, flags, set_args


def parse_rule(line, where='line'):
    """Parse one ipvsadm rule (as printed by ``-S`` or accepted by ``-R``) into a Command."""
    parts = rule_parts(line, where)
    if parts is None:
        return None
    op, protocol, svc_text, values, flags, set_args = parts
    if op == 'C':
        return Command('C')
    if op == 'set':
        if len(set_args) != 3:
            raise IpvsError('%s: --set needs 3 timeouts in %r' % (where, line))
        return Command('set', timeouts=dict(zip(TIMEOUT_KEYS, set_args)))
    if 'fwmark' in values:
        if svc_text is not None:
            raise IpvsError('%s: both -f and an address in %r' % (where, line))
        fwmark = check_int(values['fwmark'], where, 1, MAX_FWMARK)
        family = INET6 if 'ipv6' in flags else INET
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
        rs_addr = canon_address(host, where)[0]
        forward = values.get('forward', 'dr')
        if rs_port is None:
            rs_port = port if fwmark is None else 0
        elif op != 'd' and fwmark is None and forward != 'nat':
            # ipvsadm's own rule for -a/-e (not -d): DR/TUN ports follow the
            # service port.
            rs_port = port
        csum = [c for c in TUN_CSUMS if c in flags]
        rs = RealServer(rs_addr, rs_port, int(values.get('weight', DEFAULT_WEIGHT)), forward,
                        int(values.get('upper', 0)), int(values.get('lower', 0)),
                        values.get('tun_type'),
                        int(values['tun_port']) if 'tun_port' in values else None,
                        csum[-1] if csum else None)
    return Command(op, svc, rs)


def parse_save(text):
    """Parse ``ipvsadm -Sn`` output into a Table."""
    table = Table()
    services = table.services
    by_spec = {}
    rs_match = _FAST_RS.match
    svc_match = _FAST_SVC.match
    cache = _inet._ADDR_CACHE
    for number, line in enumerate(text.splitlines(), 1):
        m = rs_match(line)
        if m is not None:
            svc_text, host, port, fwd, weight = m.groups()
            svc = by_spec.get(svc_text)
            hit = cache.get(host) or canon_address(host)
            if svc is not None and hit[1] == svc.family:
                forward = 'dr' if fwd == 'g' else 'nat'
                port = svc.port if forward == 'dr' else int(port)
                svc.realservers[(hit[0], port)] = RealServer(hit[0], port, int(weight), forward)
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


def restore_file(save_text):
    """The boot-time ``ipvsadm -R`` file holding the table ``ipvsadm -Sn`` printed.

    Its lines sorted case-sensitively (every ``-A`` service line before every
    ``-a`` real server line, the order ``-R`` needs; the file does not change
    when only the live order does), each ending in a newline; empty for an
    empty table.  Byte for byte what the director role wrote with
    ``stdout_lines | sort(case_sensitive=true) | join('\\n') ~ '\\n'`` before
    the ipvs module's ``save`` option took the job over.
    """
    # The command module strips trailing newlines before splitting stdout_lines.
    lines = (save_text or '').rstrip('\r\n').splitlines()
    if not lines:
        return ''
    return '\n'.join(sorted(lines)) + '\n'
