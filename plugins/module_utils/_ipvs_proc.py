# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real servers of every IPVS service from one read of ``/proc/net/ip_vs``.

Pure: text in, data out.  Why it exists: the kernel has no netlink dump of
every destination, only one ``IPVS_CMD_GET_DEST`` dump per service, and each
dump costs three system calls (request, data, NLMSG_DONE).  At 10,000
services that is 30,000 system calls, which cost 1.5 s in the lab VM, while
one read of this file (the kernel's own listing, ``ip_vs_info_seq_show``)
lists every destination for a tenth of that.

The file shows each destination's address, port, forwarding method and
weight, but not its thresholds or tunnel options, nor a fwmark service's
address family.  So the netlink backend takes the services from the
``GET_SERVICE`` dump, as always, and only their destinations from here, and
only where the file says all there is to say (see :func:`parse`); every
other service is dumped over netlink.

The format (``net/netfilter/ipvs/ip_vs_ctl.c``, unchanged since 2.6.28)::

    IP Virtual Server version 1.2.1 (size=4096)
    Prot LocalAddress:Port Scheduler Flags
      -> RemoteAddress:Port Forward Weight ActiveConn InActConn
    TCP  0A00000A:0050 wlc persistent 300 FFFFFFFF
      -> 0A000015:0050      Route   1      0          0
    TCP  [2001:0db8:0000:0000:0000:0000:0000:000a]:01BB rr
      -> [2001:0db8:0000:0000:0000:0000:0000:0015]:01BB      Masq    1      0          0
    FWM  00000001 wlc

Parsing is strict: a line that does not fit raises ``MalformedReply``, never a
shorter list.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket

from ansible_collections.lvs.cluster.plugins.module_utils._inet import canon_address
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import RealServer
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink_codec import (
    MalformedReply,
)

PATH = '/proc/net/ip_vs'

# ip_vs_fwd_name(); a local destination reads as dr, as in ipvsadm -Sn.
_FORWARDS = {'Route': 'dr', 'Local': 'dr', 'Masq': 'nat', 'Tunnel': 'tun'}
_PROTOCOLS = {'TCP': 'tcp', 'UDP': 'udp', 'SCTP': 'sctp'}
_HEADER = ('IP Virtual Server version ', 'Prot LocalAddress:Port Scheduler Flags',
           '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn')


def _v6(host):
    """The canonical text of ``[2001:0db8:...]`` as the codec gives it (inet_ntop, then canon)."""
    if not (host.startswith('[') and host.endswith(']')):
        raise ValueError('not an IPv6 literal in brackets')
    packed = socket.inet_pton(socket.AF_INET6, host[1:-1])
    return canon_address(socket.inet_ntop(socket.AF_INET6, packed))[0]


def identity(key):
    """What the file shows of a service's identity (its key): ``('fwm', mark)`` or the key.

    A fwmark service's line has no address family, so an IPv4 and an IPv6
    service with the same mark share one identity (:func:`parse` marks it
    partial, and both are read over netlink).
    """
    if key[0] == 'fwm':
        return ('fwm', key[2])
    return key


def _reference_index(reference):
    """``{identity: service}`` lookups into ``reference`` without copying it.

    A service's identity is its key, except for a fwmark service; those are
    few, so only they are indexed (a mark declared in both families is left
    out: the file cannot tell the two apart).
    """
    if reference is None:
        return {}, {}
    fwm = {}
    for svc in reference.services.values():
        if svc.fwmark is not None:
            ident = identity(svc.key)
            fwm[ident] = None if ident in fwm else svc
    return reference.services, fwm


def parse(text, reference=None):
    """``(listed, partial)`` of the file: its text, or an iterable of its lines.

    ``listed`` is ``{identity: {(address, port): RealServer}}`` of every
    service; ``partial`` is the set of identities whose real servers the file
    does not fully show: one with a tunnel destination (its tunnel type, port
    and checksum are not in the file), and a fwmark listed twice (the IPv4
    and the IPv6 service with one mark cannot be told apart).  Thresholds are
    not in the file either: they read as 0, as in ``ipvsadm -Sn``.

    ``reference`` (a Table, usually the declared one) changes only how the
    result is built, never what it means: where a service's real servers in
    the file are exactly those of the reference's service with the same
    identity, its entry *is* that service's ``realservers`` dict, and a
    real server equal to the reference's is that RealServer.  Why: a run
    that finds the table as declared then builds no second copy of it.  At
    10,000 services x 4 that copy was 14 MB of new objects, and in the lab VM
    each new page costs as much as parsing dozens of lines.
    """
    if isinstance(text, str):
        lines = iter(text.splitlines())
    else:
        lines = iter(text)
    header = [line.rstrip('\n') for _n, line in zip(range(3), lines)]
    if (len(header) < 3 or not header[0].startswith(_HEADER[0]) or header[1] != _HEADER[1]
            or header[2] != _HEADER[2]):
        raise MalformedReply('malformed %s: unexpected header %r' % (PATH, header))
    by_key, by_fwm = _reference_index(reference)
    listed, partial = {}, set()
    # The open block: the key it is stored under (its identity, or the
    # reference's equal key object), the reference service's real servers, and
    # either the lines still expected of them (``pending``, see _expected) or
    # the dict of RealServers built for the block so far (``current``).
    ident = store = ref_servers = pending = current = None
    forwards, protocols, make = _FORWARDS, _PROTOCOLS, RealServer
    tails = {}
    ntoa, fromhex = socket.inet_ntoa, bytes.fromhex
    number, line = 3, ''
    # One try around the loop: the hot path (40,000 real servers) pays for no
    # per-line exception setup, and the error still names the line.
    try:
        for number, line in enumerate(lines, 4):
            if pending is not None:
                # A line the reference predicts, up to its counters, is consumed as is.
                if line[38:39] == ' ' and pending.pop(line[:38], None) is not None:
                    continue
                if line[:5] == '  -> ':
                    current = _matched(ref_servers, pending)
                else:
                    listed[store] = _matched(ref_servers, pending) if pending else ref_servers
                    store = None
                pending = None
            fields = line.split()
            if fields[0] == '->':
                host, _sep, port = fields[1].rpartition(':')
                address = ntoa(fromhex(host)) if len(host) == 8 else _v6(host)
                port = int(port, 16)
                forward = forwards[fields[2]]
                if forward == 'tun':
                    partial.add(ident)
                current[(address, port)] = make(address, port, int(fields[3]), forward)
                continue
            if store is not None:
                listed[store] = _settle(store, current, ref_servers, partial)
            if fields[0] == 'FWM':
                ident = ('fwm', int(fields[1], 16))
                ref = by_fwm.get(ident)
            else:
                host, _sep, port = fields[1].rpartition(':')
                address = ntoa(fromhex(host)) if len(host) == 8 else _v6(host)
                ident = (protocols[fields[0]], address, int(port, 16))
                ref = by_key.get(ident)
            if len(fields) < 3:
                raise ValueError('no scheduler')
            if ident in listed:
                partial.add(ident)
                ref = None
            store, current, ref_servers = ident, {}, None
            if ref is not None:
                # The reference's key object: equal to ``ident`` (for a fwmark,
                # the identity), so the new tuple and address can be freed.
                store = ident if ref.fwmark is not None else ref.key
                ref_servers = ref.realservers
                pending = _expected(ref_servers, tails)
                if pending is not None:
                    current = None
    except (IndexError, KeyError, ValueError, TypeError, OSError) as exc:
        raise MalformedReply('malformed %s (line %d, %r): %s' % (
            PATH, number, line[:120], exc.__class__.__name__))
    if pending is not None:
        listed[store] = _matched(ref_servers, pending) if pending else ref_servers
    elif store is not None:
        listed[store] = _settle(store, current, ref_servers, partial)
    return listed, partial


def _settle(ident, current, ref_servers, partial):
    """A parsed block's real servers: the reference's own dict where equal to it."""
    if ref_servers is not None and ident not in partial and current == ref_servers:
        return ref_servers
    return current


# ip_vs_fwd_name() of what a reference real server can be, for _expected.
_PRINTED = {'dr': 'Route', 'nat': 'Masq'}


def _expected(servers, tails):
    """``{first 38 columns of its line: RealServer}`` of each of a service's real servers.

    What ``ip_vs_info_seq_show`` prints for an IPv4 destination up to its
    counters: ``"  -> %08X:%04X      %-7s %-6d"``; a weight of over six digits
    runs past column 38 and so never matches (the line is then parsed).  None
    where a line cannot be predicted: a tunnel (its options are not in the
    file), thresholds (not shown), an IPv6 address.  ``tails`` caches the part
    after the address, which few port/method/weight combinations share.  Why:
    formatting the reference's line and finding it costs half of parsing the
    file's.
    """
    out = {}
    aton = socket.inet_aton
    try:
        for rs in servers.values():
            if rs.upper_threshold or rs.lower_threshold:
                return None
            tail = tails.get((rs.port, rs.forward, rs.weight))
            if tail is None:
                name = _PRINTED.get(rs.forward)
                if name is None:
                    return None
                tail = tails[(rs.port, rs.forward, rs.weight)] = ':%04X      %-7s %-6d' % (
                    rs.port, name, rs.weight)
            out['  -> %s%s' % (aton(rs.address).hex().upper(), tail)] = rs
    except OSError:  # an IPv6 address
        return None
    return out


def _matched(servers, pending):
    """The real servers of ``servers`` whose lines were found (those not left in ``pending``)."""
    left = set(id(rs) for rs in pending.values())
    return dict((key, rs) for key, rs in servers.items() if id(rs) not in left)
