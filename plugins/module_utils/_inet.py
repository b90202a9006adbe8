# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts about addresses, IPVS service keys, defaults and limits, defined once.

Pure: the standard library only, no Ansible, no I/O.  The IPVS table core, the
inventory model, the host network delta and the verify report all take these
from here, so "the same address", "IPv6", "the service" and "the default
scheduler" mean the same thing everywhere.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import re
import socket

# ---------------------------------------------------------------- defaults and limits

# The scheduler of a service that names none: ipvsadm's own default, the
# ``scheduler`` default of the lvs.cluster.ipvs module and of lvs_services.
DEFAULT_SCHEDULER = 'wlc'
DEFAULT_WEIGHT = 1
MAX_PORT = 65535
MAX_FWMARK = 2 ** 32 - 1
# Two weight limits on purpose.  The inventory contract (docs/inventory.md,
# lvs_services[].realservers[].weight) promises 0-65535 and the validator keeps
# that documented promise.  The lvs.cluster.ipvs module declares the kernel's
# table as it is: the kernel stores a weight as a signed 32-bit int and rejects
# only negative ones, so the module accepts every weight ``ipvsadm -Sn`` can show.
INVENTORY_MAX_WEIGHT = 65535
IPVS_MAX_WEIGHT = 2147483647
# Firewall marks reserved for health-check probe services: a director's check
# of a real server "through the VIP" carries one of these marks, and the IPVS
# fwmark service of that mark forwards it to exactly that real server the way
# the real traffic goes (DR/TUN).  Marks are assigned cluster-wide (every
# director uses the same mark for the same probe) from PROBE_FWMARK_BASE on;
# user fwmark services must stay out of [base, base + count).
PROBE_FWMARK_BASE = 0x7FFF0000
PROBE_FWMARK_COUNT = 65536

# ---------------------------------------------------------------- address families

INET = 'inet'
INET6 = 'inet6'


def is_ipv6(address):
    """Whether an address literal (bare, bracketed or with a prefix) is IPv6.

    Only IPv6 literals contain ':'; that test is cheap and also holds for text
    that is not (yet) validated, such as an ``ip`` route's ``via``.
    """
    return ':' in str(address)


# ---------------------------------------------------------------- canonical text

_CACHE_LIMIT = 200000
_ADDR_CACHE = {}
_SORT_CACHE = {}
_OCTET = r'(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
_CANON_V4 = re.compile(r'^%s(?:\.%s){3}$' % (_OCTET, _OCTET))


def canon_address(text):
    """``(canonical text, family)`` of an IP literal, brackets allowed.

    Raises ValueError when ``text`` is not one (host names included: nothing
    here may depend on DNS).  Cached, with a fast path for IPv4 text that is
    already canonical (inet_ntop output always is): ``ipaddress`` costs more
    than the rest of parsing a 40,000 real server ``ipvsadm -Sn`` table.
    """
    hit = _ADDR_CACHE.get(text)
    if hit is not None:
        return hit
    raw = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    if _CANON_V4.match(raw):
        hit = (raw, INET)
    else:
        ip = ipaddress.ip_address(raw)
        hit = (str(ip), INET6 if ip.version == 6 else INET)
    if len(_ADDR_CACHE) < _CACHE_LIMIT:
        _ADDR_CACHE[text] = hit
    return hit


def canonical(address):
    """The canonical text of an address, or ``str(address)`` unchanged when it is not one.

    For comparing addresses that come from different writers (the inventory,
    ``ip -j``, ``ipvsadm``): ``2001:DB8::0010`` and ``2001:db8::10`` are one address.
    """
    text = str(address)
    try:
        return canon_address(text)[0]
    except ValueError:
        return text


def sort_key(address):
    """Numeric order of a canonical address literal: IPv4 before IPv6."""
    hit = _SORT_CACHE.get(address)
    if hit is None:
        if ':' in address:
            hit = (6, int(ipaddress.IPv6Address(address)))
        else:
            # inet_aton: a third of the time of split and int (40,000 per table).
            hit = (4, int.from_bytes(socket.inet_aton(address), 'big'))
        if len(_SORT_CACHE) < _CACHE_LIMIT:
            _SORT_CACHE[address] = hit
    return hit


def clear_caches():
    """Forget cached results (benchmarks measure a fresh module process)."""
    _ADDR_CACHE.clear()
    _SORT_CACHE.clear()


def bracketed(address):
    """An address as the host part of a URL or ``host:port``: IPv6 in brackets."""
    address = str(address)
    return '[%s]' % address if ':' in address else address


def hostport(address, port):
    """``a.b.c.d:port`` or ``[v6]:port``, as ipvsadm prints and accepts them."""
    if ':' in address:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


# ---------------------------------------------------------------- IPVS service key

def service_key(protocol, address, port, fwmark=None, family=INET):
    """The identity of an IPVS virtual service, as the kernel sees it.

    ``('fwm', family, fwmark)`` for a fwmark service (the same mark may exist
    once per family), else ``(protocol, canonical address, port)``.  The address
    must already be canonical; the IPVS table, ``ipvsadm -Sn`` and ``-Ln``
    listings are keyed by it.
    """
    if fwmark is not None:
        return ('fwm', family, fwmark)
    return (protocol, address, port)
