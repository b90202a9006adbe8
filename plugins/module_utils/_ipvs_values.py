# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checked, canonical IPVS values: addresses, ``host:port``, integers, strings, booleans,
netmasks, scheduler flags.

Pure.  Shared by the declaration checks (``_ipvs_spec``) and the parsers of
ipvsadm output (``_ipvs_save``, ``_ipvs_listing``), so a value reads the same
whichever side it comes from.  Every failure is an IpvsError naming ``where``.

Scheduler flags are three bits whose names depend on the scheduler
(``sh-fallback`` == ``mh-fallback`` == ``flag-1``).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import decimal
import ipaddress

from ansible_collections.lvs.cluster.plugins.module_utils import _inet
from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET6, MAX_PORT
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError

_FLAG_BITS = {'flag-1': 1, 'flag-2': 2, 'flag-3': 3,
              'sh-fallback': 1, 'sh-port': 2, 'mh-fallback': 1, 'mh-port': 2}
_FLAG_NAMES = {'sh': {1: 'sh-fallback', 2: 'sh-port'},
               'mh': {1: 'mh-fallback', 2: 'mh-port'}}
# ansible.module_utils.parsing.convert_bool's sets, so a boolean reads the same
# whether AnsibleModule or check_bool converts it.
_TRUE = frozenset(('y', 'yes', 'on', '1', 'true', 't', 1, 1.0))
_FALSE = frozenset(('n', 'no', 'off', '0', 'false', 'f', 0, 0.0))


def canon_address(text, where='address'):
    """Return ``(canonical text, family)`` of an IP literal (brackets allowed)."""
    try:
        return _inet.canon_address(text)
    except ValueError:
        raise IpvsError('%s: %r is not an IP address (host names are not '
                        'accepted, the table must not depend on DNS)' % (where, text))


def blank(value):
    """None, '' and [] all mean "not set" in a declaration."""
    return value is None or value == '' or value == []


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
        if not port.isdigit() or int(port) > MAX_PORT:
            raise IpvsError('%s: bad port in %r (numeric ports only)' % (where, text))
        port = int(port)
    return host, port


def check_int(value, where, low, high):
    """``value`` as an int within ``low..high``.

    Converts as AnsibleModule's ``int`` type does (``"80"``, ``80.0`` and
    ``"8e1"`` are 80; ``80.5`` is refused), except that a boolean is refused
    where Ansible would take it for 0 or 1.
    """
    if isinstance(value, bool):
        raise IpvsError('%s: %r is not an integer' % (where, value))
    if isinstance(value, int):
        number = value
    else:
        try:
            exact = decimal.Decimal(value)
            huge = exact.is_finite() and exact.adjusted() >= 19
            number = None if huge else int(exact)
            if not huge and number != exact:
                raise ValueError(value)
        except (decimal.DecimalException, TypeError, ValueError, OverflowError):
            raise IpvsError('%s: %r is not an integer' % (where, value))
        if huge:
            # "1e999999999" is an integer too; never build it (every bound here is < 10**19).
            raise IpvsError('%s: %s is outside %d..%d' % (where, value, low, high))
    if number < low or number > high:
        raise IpvsError('%s: %d is outside %d..%d' % (where, number, low, high))
    return number


def check_text(value, where):
    """A string option: blank is None, a number becomes its text (as AnsibleModule
    converts it); a boolean, list or dict is refused."""
    if isinstance(value, str):
        return value or None
    if blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise IpvsError('%s: %r is not a string' % (where, value))


def check_bool(value, where):
    """A boolean option read as AnsibleModule's ``bool`` type reads it; blank is False."""
    if isinstance(value, bool):
        return value
    if blank(value):
        return False
    if isinstance(value, str):
        value = value.strip().lower()
    if isinstance(value, (str, int, float)):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise IpvsError('%s: %r is not a boolean (yes/no, true/false, on/off, 1/0)' % (where, value))


def canon_netmask(value, family, where):
    """Canonical persistence netmask or None for the per-client default.

    ipvsadm prints IPv4 masks dotted and IPv6 masks as a prefix length, and
    omits the default (/32, /128); the same conventions keep the diff quiet.
    """
    if value is None or value == '':
        return None
    text = str(value).strip().lstrip('/')
    if family == INET6:
        prefix = check_int(text, where, 1, 128)
        return None if prefix == 128 else str(prefix)
    try:
        if text.isdigit():
            net = ipaddress.IPv4Network('0.0.0.0/%d' % check_int(text, where, 0, 32))
        else:
            net = ipaddress.IPv4Network('0.0.0.0/%s' % text)
    except ValueError:
        raise IpvsError('%s: %r is not an IPv4 netmask' % (where, value))
    mask = str(net.netmask)
    return None if mask == '255.255.255.255' else mask


def canon_sched_flags(flags, scheduler, where):
    """Scheduler flags (list or comma separated) as the names ``ipvsadm -S`` prints."""
    if flags is None or flags == '' or isinstance(flags, (list, tuple)) and not flags:
        return ()
    if isinstance(flags, str):
        flags = flags.split(',')
    elif not isinstance(flags, (list, tuple)):
        raise IpvsError('%s: %r is not a list of scheduler flags' % (where, flags))
    bits = set()
    for flag in flags:
        if not isinstance(flag, str):
            raise IpvsError('%s: unknown scheduler flag %r' % (where, flag))
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
