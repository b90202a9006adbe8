# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwarding-path probes of ``playbooks/verify.yml``: each real server on its own, reached
from its director the way IPVS forwards a client's packet to it.

Why: with persistence or a hashing scheduler every request of one probe host goes to one real
server, so the client-side probe proves only that one (tried: ``dr1 0/8, dr2 8/8`` passed).
From the director, a TCP SYN to ``VIP:port`` is built exactly as IPVS would send it:

- DR: the SYN to the VIP in an Ethernet frame to the real server's MAC;
- TUN: the SYN to the VIP inside an IP-in-IP (IPv6: ip6ip6) packet to the real server's address;
- NAT: a plain TCP connect to the real server's address and port (the path IPVS rewrites to).

A DR or TUN real server that lacks the VIP, its tunnel device or a listener drops the SYN or
resets it; a sound one answers SYN-ACK from ``VIP:port`` straight to the director. The SYN has
TTL 1, so no host can forward it on and have another real server answer in its place. The frames
leave by a packet socket, so the director's own IPVS table is neither used nor changed, and
the answer is read at the device before the director's IP stack drops it (its source, the VIP,
is one of the director's own addresses). A RST then ends the half-open connection.

Pure (data in, data out): the plan from the model, packet building and parsing, the verdict on
an answer. The sockets live in ``plugins/modules/path_probe.py``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import struct

from ansible_collections.lvs.cluster.plugins.module_utils._inet import DEFAULT_WEIGHT

MODES = ('dr', 'tun', 'nat')
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PROTO_IPIP = 4
PROTO_TCP = 6
PROTO_IPV6 = 41
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
TTL = 64
WINDOW = 64240
# Ethernet's minimum frame without the FCS: shorter frames are padded.
MIN_FRAME = 60


class PathProbeError(Exception):
    """A plan entry is unusable: nothing was sent for it."""


def _bare(address):
    return str(address or '').partition('/')[0].strip('[]')


def family_of(address):
    return 6 if ':' in _bare(address) else 4


def plan(services, director):
    """One entry per weighted real server of every TCP service (with a VIP) that ``director``
    forwards: name, host, mode, vip, port, rip, rport - in service order.

    A NAT service of several directors (a director group) also gets ``standby: true``: its
    real servers' segment is reached through the floating DIP, which only the master holds, so
    a backup with no route onto that segment skips the probe instead of failing it."""
    out = []
    for svc in services or ():
        if director not in (svc.get('directors') or ()):
            continue
        if svc.get('protocol', 'tcp') != 'tcp' or svc.get('fwmark') is not None or not svc.get('vip'):
            continue
        for rs in svc.get('realservers') or ():
            if int(rs.get('weight', DEFAULT_WEIGHT)) <= 0:
                continue
            entry = {
                'name': svc.get('name'),
                'host': rs.get('host'),
                'mode': svc.get('mode'),
                'vip': _bare(svc['vip']),
                'port': int(svc['port']),
                'rip': _bare(rs.get('address')),
                'rport': int(rs.get('port') or svc['port']),
            }
            if svc.get('mode') == 'nat' and len(svc.get('directors') or ()) > 1:
                entry['standby'] = True
            out.append(entry)
    return out


def check_entry(entry, index):
    """Raise PathProbeError unless ``entry`` (the ``index``-th) can be sent."""
    if not isinstance(entry, dict):
        raise PathProbeError('probe %d is not a dict: %r' % (index, entry))
    label = '%s/%s' % (entry.get('name') or '#%d' % index, entry.get('host') or '?')
    if entry.get('mode') not in MODES:
        raise PathProbeError('probe %s: mode %r is not one of %s' % (label, entry.get('mode'), ', '.join(MODES)))
    for key in ('vip', 'rip'):
        try:
            socket.inet_pton(socket.AF_INET6 if family_of(entry.get(key)) == 6 else socket.AF_INET, _bare(entry.get(key)))
        except (OSError, ValueError):
            raise PathProbeError('probe %s: %s %r is not an IP address' % (label, key, entry.get(key)))
    if family_of(entry['vip']) != family_of(entry['rip']):
        raise PathProbeError('probe %s: vip %s and rip %s are not of one family' % (label, entry['vip'], entry['rip']))
    for key in ('port', 'rport'):
        try:
            port = int(entry.get(key))
        except (TypeError, ValueError):
            port = 0
        if not 0 < port < 65536:
            raise PathProbeError('probe %s: %s %r is not 1-65535' % (label, key, entry.get(key)))
    return entry


def checksum(data):
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _packed(address):
    address = _bare(address)
    return socket.inet_pton(socket.AF_INET6 if ':' in address else socket.AF_INET, address)


def tcp_segment(src, dst, sport, dport, seq, ack, flags, window=WINDOW):
    """A TCP header without options or payload, its checksum over the family's pseudo header."""
    header = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, window, 0, 0)
    if family_of(src) == 6:
        pseudo = _packed(src) + _packed(dst) + struct.pack('!I3xB', len(header), PROTO_TCP)
    else:
        pseudo = _packed(src) + _packed(dst) + struct.pack('!xBH', PROTO_TCP, len(header))
    return header[:16] + struct.pack('!H', checksum(pseudo + header)) + header[18:]


def ip_packet(src, dst, proto, payload, ident=0, ttl=TTL):
    """``payload`` behind an IPv4 header (DF set, header checksummed) or an IPv6 header."""
    if family_of(src) == 6:
        return struct.pack('!IHBB', 6 << 28, len(payload), proto, ttl) + _packed(src) + _packed(dst) + payload
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, proto, 0,
                         _packed(src), _packed(dst))
    return header[:10] + struct.pack('!H', checksum(header)) + header[12:] + payload


def ethernet(dst_mac, src_mac, ethertype, payload):
    frame = _mac(dst_mac) + _mac(src_mac) + struct.pack('!H', ethertype) + payload
    return frame + b'\0' * max(0, MIN_FRAME - len(frame))


def _mac(text):
    parts = str(text).split(':')
    if len(parts) != 6:
        raise PathProbeError('%r is not a MAC address' % (text,))
    try:
        return bytes(bytearray(int(part, 16) for part in parts))
    except ValueError:
        raise PathProbeError('%r is not a MAC address' % (text,))


def frame(entry, source, src_mac, nexthop_mac, sport, seq, flags, ack=0, ident=0):
    """The Ethernet frame that carries one TCP segment from ``source`` to ``entry``'s VIP the
    way IPVS forwards it in the entry's mode (DR: to the real server's MAC; TUN: encapsulated to
    the real server's address, the frame to the next hop's MAC)."""
    vip = entry['vip']
    # TTL (hop limit) 1: only a real server that holds the VIP itself can answer. One without
    # it that forwards IP would send the SYN on to the VIP - to a director, whose IPVS would pick
    # another real server, whose answer would pass for this one's.
    inner = ip_packet(source, vip, PROTO_TCP, tcp_segment(source, vip, sport, int(entry['port']), seq, ack, flags),
                      ident, ttl=1)
    ethertype = ETH_P_IPV6 if family_of(vip) == 6 else ETH_P_IP
    if entry['mode'] == 'tun':
        inner = ip_packet(source, entry['rip'], PROTO_IPV6 if family_of(vip) == 6 else PROTO_IPIP, inner, ident + 1)
    elif entry['mode'] != 'dr':
        raise PathProbeError('%s real servers are reached by a plain connection, not a built frame' % entry['mode'])
    return ethernet(nexthop_mac, src_mac, ethertype, inner)


def parse_frame(data):
    """The TCP segment in an Ethernet frame of plain IPv4 or IPv6 (no extension headers):
    dict(src, dst, sport, dport, seq, ack, flags), or None for anything else."""
    if len(data) < 14:
        return None
    ethertype = struct.unpack('!H', data[12:14])[0]
    packet = data[14:]
    if ethertype == ETH_P_IP and len(packet) >= 20 and packet[0] >> 4 == 4:
        header = (packet[0] & 0x0F) * 4
        if packet[9] != PROTO_TCP or struct.unpack('!H', packet[6:8])[0] & 0x1FFF:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET, packet[12:16]), socket.inet_ntop(socket.AF_INET, packet[16:20])
        segment = packet[header:]
    elif ethertype == ETH_P_IPV6 and len(packet) >= 40 and packet[0] >> 4 == 6:
        if packet[6] != PROTO_TCP:
            return None
        src, dst = socket.inet_ntop(socket.AF_INET6, packet[8:24]), socket.inet_ntop(socket.AF_INET6, packet[24:40])
        segment = packet[40:]
    else:
        return None
    if len(segment) < 20:
        return None
    sport, dport, seq, ack, _offset, flags = struct.unpack('!HHIIBB', segment[:14])
    return {'src': src, 'dst': dst, 'sport': sport, 'dport': dport, 'seq': seq, 'ack': ack, 'flags': flags}


def _same(one, other):
    return _packed(one) == _packed(other)


def answer(parsed, entry, source, sport, seq):
    """What a parsed frame says about the probe: 'open' (SYN-ACK from VIP:port for our SYN),
    'refused' (RST for it), or None (not an answer to this probe)."""
    if not parsed or parsed['sport'] != int(entry['port']) or parsed['dport'] != sport:
        return None
    if not _same(parsed['src'], entry['vip']) or not _same(parsed['dst'], source):
        return None
    if parsed['ack'] != (seq + 1) & 0xFFFFFFFF:
        return None
    if parsed['flags'] & RST:
        return 'refused'
    if parsed['flags'] & (SYN | ACK) == SYN | ACK:
        return 'open'
    return None


def summary(results):
    """One line per failed probe (not the skipped ones): service, real server, mode, address
    and the error."""
    return ['%s %s (%s via %s): %s' % (r.get('name'), r.get('host'), r.get('mode'), r.get('rip'), r.get('error'))
            for r in results if not r.get('ok') and not r.get('skipped')]
