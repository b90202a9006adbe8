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


def identity(svc):
    """What the file shows of a service's identity: ``('fwm', mark)`` or the service key.

    A fwmark service's line has no address family, so an IPv4 and an IPv6
    service with the same mark share one identity (:func:`parse` marks it
    partial, and both are read over netlink).
    """
    if svc.fwmark is not None:
        return ('fwm', svc.fwmark)
    return svc.key


def parse(text):
    """``(listed, partial)`` of the file's text.

    ``listed`` is ``{identity: {(address, port): RealServer}}`` of every
    service; ``partial`` is the set of identities whose real servers the file
    does not fully show: one with a tunnel destination (its tunnel type, port
    and checksum are not in the file), and a fwmark listed twice (the IPv4
    and the IPv6 service with one mark cannot be told apart).  Thresholds are
    not in the file either: they read as 0, as in ``ipvsadm -Sn``.
    """
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if (len(lines) < 3 or not lines[0].startswith(_HEADER[0]) or lines[1] != _HEADER[1]
            or lines[2] != _HEADER[2]):
        raise MalformedReply('malformed %s: unexpected header %r' % (PATH, lines[:3]))
    listed, partial = {}, set()
    current = ident = None
    forwards, protocols, make = _FORWARDS, _PROTOCOLS, RealServer
    ntoa, fromhex = socket.inet_ntoa, bytes.fromhex
    number, line = 3, ''
    # One try around the loop: the hot path (40,000 real servers) pays for no
    # per-line exception setup, and the error still names the line.
    try:
        for number, line in enumerate(lines[3:], 4):
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
            if fields[0] == 'FWM':
                ident = ('fwm', int(fields[1], 16))
            else:
                host, _sep, port = fields[1].rpartition(':')
                address = ntoa(fromhex(host)) if len(host) == 8 else _v6(host)
                ident = (protocols[fields[0]], address, int(port, 16))
            if len(fields) < 3:
                raise ValueError('no scheduler')
            if ident in listed:
                partial.add(ident)
            current = listed[ident] = {}
    except (IndexError, KeyError, ValueError, TypeError, OSError) as exc:
        raise MalformedReply('malformed %s (line %d, %r): %s' % (
            PATH, number, line[:120], exc.__class__.__name__))
    return listed, partial
