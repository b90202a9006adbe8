# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS generic netlink protocol as bytes: build requests from data, parse replies into data.

Pure: no socket, no I/O.  ``_ipvs_netlink`` moves these bytes through an
``AF_NETLINK`` socket; the tests feed byte fixtures straight in.

The wire format is the kernel's uapi (``include/uapi/linux/ip_vs.h``,
``netlink.h``, ``genetlink.h``), as ipvsadm's libipvs and keepalived speak it:

* every message is ``nlmsghdr`` (len, type, flags, seq, pid) + ``genlmsghdr``
  (cmd, version 1, reserved) + attributes (len, type, payload padded to 4);
* a service is the nested ``IPVS_CMD_ATTR_SERVICE``: its identity is AF plus
  either FWMARK or PROTOCOL + ADDR (16 bytes, ``nf_inet_addr``) + PORT
  (network order); a full entry adds SCHED_NAME, FLAGS (``ip_vs_flags``:
  flags and mask), TIMEOUT and NETMASK, which the kernel requires together;
* a real server is the nested ``IPVS_CMD_ATTR_DEST`` (ADDR, PORT; a full entry
  adds FWD_METHOD, WEIGHT, U_THRESH and L_THRESH, the kernel requires all four);
* the persistence NETMASK is a 32-bit mask in network order for IPv4 and a
  prefix length (host order) for IPv6.

Replies are parsed strictly: a truncated or mis-sized attribute, or a missing
one the kernel always sends, raises :class:`MalformedReply` instead of
quietly dropping a service or a real server the delta would then re-add or
delete.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import struct

from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET, INET6, canon_address
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import (
    IpvsError, RealServer, Service,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import canon_netmask

# ---------------------------------------------------------------- netlink / genetlink

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff
NLMSGERR_ATTR_MSG = 1

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

_NLMSGHDR = struct.Struct('=IHHII')
_GENLHDR = struct.Struct('=BBH')
_NLA = struct.Struct('=HH')
_U16 = struct.Struct('=H')
_U32 = struct.Struct('=I')
_U64 = struct.Struct('=Q')
_BE16 = struct.Struct('>H')
_I32 = struct.Struct('=i')
_FLAGS = struct.Struct('=II')

# ---------------------------------------------------------------- IPVS (ip_vs.h)

IPVS_GENL_NAME = 'IPVS'
IPVS_GENL_VERSION = 1

(IPVS_CMD_NEW_SERVICE, IPVS_CMD_SET_SERVICE, IPVS_CMD_DEL_SERVICE, IPVS_CMD_GET_SERVICE,
 IPVS_CMD_NEW_DEST, IPVS_CMD_SET_DEST, IPVS_CMD_DEL_DEST, IPVS_CMD_GET_DEST,
 IPVS_CMD_NEW_DAEMON, IPVS_CMD_DEL_DAEMON, IPVS_CMD_GET_DAEMON,
 IPVS_CMD_SET_CONFIG, IPVS_CMD_GET_CONFIG, IPVS_CMD_SET_INFO, IPVS_CMD_GET_INFO,
 IPVS_CMD_ZERO, IPVS_CMD_FLUSH) = range(1, 18)

CMD_NAMES = dict(enumerate((
    'NEW_SERVICE', 'SET_SERVICE', 'DEL_SERVICE', 'GET_SERVICE', 'NEW_DEST', 'SET_DEST',
    'DEL_DEST', 'GET_DEST', 'NEW_DAEMON', 'DEL_DAEMON', 'GET_DAEMON', 'SET_CONFIG',
    'GET_CONFIG', 'SET_INFO', 'GET_INFO', 'ZERO', 'FLUSH'), 1))

(IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST, IPVS_CMD_ATTR_DAEMON, IPVS_CMD_ATTR_TIMEOUT_TCP,
 IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, IPVS_CMD_ATTR_TIMEOUT_UDP) = range(1, 7)

(IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR, IPVS_SVC_ATTR_PORT,
 IPVS_SVC_ATTR_FWMARK, IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT,
 IPVS_SVC_ATTR_NETMASK, IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_PE_NAME,
 IPVS_SVC_ATTR_STATS64) = range(1, 13)

(IPVS_DEST_ATTR_ADDR, IPVS_DEST_ATTR_PORT, IPVS_DEST_ATTR_FWD_METHOD, IPVS_DEST_ATTR_WEIGHT,
 IPVS_DEST_ATTR_U_THRESH, IPVS_DEST_ATTR_L_THRESH, IPVS_DEST_ATTR_ACTIVE_CONNS,
 IPVS_DEST_ATTR_INACT_CONNS, IPVS_DEST_ATTR_PERSIST_CONNS, IPVS_DEST_ATTR_STATS,
 IPVS_DEST_ATTR_ADDR_FAMILY, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_TUN_TYPE,
 IPVS_DEST_ATTR_TUN_PORT, IPVS_DEST_ATTR_TUN_FLAGS) = range(1, 16)

(IPVS_DAEMON_ATTR_STATE, IPVS_DAEMON_ATTR_MCAST_IFN, IPVS_DAEMON_ATTR_SYNC_ID,
 IPVS_DAEMON_ATTR_SYNC_MAXLEN, IPVS_DAEMON_ATTR_MCAST_GROUP, IPVS_DAEMON_ATTR_MCAST_GROUP6,
 IPVS_DAEMON_ATTR_MCAST_PORT, IPVS_DAEMON_ATTR_MCAST_TTL) = range(1, 9)

IPVS_INFO_ATTR_VERSION, IPVS_INFO_ATTR_CONN_TAB_SIZE = 1, 2

# IPVS_STATS_ATTR_* in order; the 32-bit STATS nest and STATS64 share them.
STATS_ATTRS = ('conns', 'inpkts', 'outpkts', 'inbytes', 'outbytes',
               'cps', 'inpps', 'outpps', 'inbps', 'outbps')

IP_VS_SVC_F_PERSISTENT = 0x1
IP_VS_SVC_F_ONEPACKET = 0x4
IP_VS_SVC_F_SCHED1 = 0x8
_SCHED_BITS = {1: 0x8, 2: 0x10, 3: 0x20}

IP_VS_CONN_F_MASQ = 0
IP_VS_CONN_F_LOCALNODE = 1
IP_VS_CONN_F_TUNNEL = 2
IP_VS_CONN_F_DROUTE = 3
IP_VS_CONN_F_FWD_MASK = 7
FORWARD_METHODS = {'nat': IP_VS_CONN_F_MASQ, 'tun': IP_VS_CONN_F_TUNNEL,
                   'dr': IP_VS_CONN_F_DROUTE}
# ipvsadm -Sn prints a local destination (the kernel turns a DR/TUN/NAT
# destination whose address is local into LOCALNODE) as -g; -Ln as "Local".
_FORWARD_NAMES = {IP_VS_CONN_F_MASQ: 'nat', IP_VS_CONN_F_TUNNEL: 'tun',
                  IP_VS_CONN_F_DROUTE: 'dr', IP_VS_CONN_F_LOCALNODE: 'local'}
TUN_TYPES = {'ipip': 0, 'gue': 1, 'gre': 2}
_TUN_TYPE_NAMES = dict((v, k) for k, v in TUN_TYPES.items())
TUN_FLAGS = {'nocsum': 0, 'csum': 1, 'remcsum': 2}
_TUN_FLAG_NAMES = dict((v, k) for k, v in TUN_FLAGS.items())
IP_VS_STATE_MASTER, IP_VS_STATE_BACKUP = 1, 2

_AF = {INET: socket.AF_INET, INET6: socket.AF_INET6}
_FAMILY = {socket.AF_INET: INET, socket.AF_INET6: INET6}
PROTOCOLS = {'tcp': 6, 'udp': 17, 'sctp': 132}
_PROTOCOL_NAMES = dict((v, k) for k, v in PROTOCOLS.items())
# Scheduler flag names as ipvsadm prints them (_ipvs_values).
_FLAG_NAMES = {'sh': {1: 'sh-fallback', 2: 'sh-port'}, 'mh': {1: 'mh-fallback', 2: 'mh-port'}}
_FLAG_BITS = {'flag-1': 1, 'flag-2': 2, 'flag-3': 3, 'sh-fallback': 1, 'sh-port': 2,
              'mh-fallback': 1, 'mh-port': 2}


class MalformedReply(IpvsError):
    """A reply that does not parse: a failure, never a silently shorter table."""


def _malformed(where, why):
    return MalformedReply('malformed IPVS netlink reply (%s): %s' % (where, why))


# ---------------------------------------------------------------- building

def nla(kind, payload):
    """One attribute, padded to 4 bytes."""
    length = 4 + len(payload)
    return _NLA.pack(length, kind) + payload + b'\0' * (-length % 4)


def nla_nested(kind, attrs):
    return nla(kind | NLA_F_NESTED, b''.join(attrs))


def nla_u16(kind, value):
    return nla(kind, _U16.pack(value))


def nla_u32(kind, value):
    return nla(kind, _U32.pack(value))


def nla_str(kind, text):
    return nla(kind, text.encode('ascii') + b'\0')


def nlmsg(kind, flags, seq, payload, pid=0):
    return _NLMSGHDR.pack(16 + len(payload), kind, flags, seq, pid) + payload


def genlmsg(family, cmd, flags, seq, attrs=b'', version=IPVS_GENL_VERSION):
    return nlmsg(family, flags, seq, _GENLHDR.pack(cmd, version, 0) + attrs)


def getfamily_request(seq, name=IPVS_GENL_NAME):
    return genlmsg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK, seq,
                   nla_str(CTRL_ATTR_FAMILY_NAME, name), version=1)


def _addr(address, family):
    packed = socket.inet_pton(_AF[family], address)
    return packed + b'\0' * (16 - len(packed))


def _family_of(address):
    return INET6 if ':' in address else INET


def _netmask(svc):
    """IPVS_SVC_ATTR_NETMASK payload: IPv4 mask bytes (network order), IPv6 prefix (host order)."""
    if svc.family == INET6:
        return _U32.pack(int(svc.persistence_netmask or 128))
    return socket.inet_aton(svc.persistence_netmask or '255.255.255.255')


def service_id(svc):
    """The attributes naming a service (enough for DEL_SERVICE and the dest commands)."""
    attrs = [nla_u16(IPVS_SVC_ATTR_AF, _AF[svc.family])]
    if svc.fwmark is not None:
        attrs.append(nla_u32(IPVS_SVC_ATTR_FWMARK, svc.fwmark))
    else:
        attrs.append(nla_u16(IPVS_SVC_ATTR_PROTOCOL, PROTOCOLS[svc.protocol]))
        attrs.append(nla(IPVS_SVC_ATTR_ADDR, _addr(svc.address, svc.family)))
        attrs.append(nla(IPVS_SVC_ATTR_PORT, _BE16.pack(svc.port)))
    return attrs


def service_flags(svc):
    flags = 0
    if svc.persistence_timeout:
        flags |= IP_VS_SVC_F_PERSISTENT
    if svc.one_packet:
        flags |= IP_VS_SVC_F_ONEPACKET
    for name in svc.scheduler_flags:
        flags |= _SCHED_BITS[_FLAG_BITS[name]]
    return flags


def service_full(svc):
    """Identity plus every attribute: NEW_SERVICE and SET_SERVICE replace them all."""
    attrs = service_id(svc)
    attrs.append(nla_str(IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler))
    # mask ~0, as libipvs sends it: every flag is set or cleared.
    attrs.append(nla(IPVS_SVC_ATTR_FLAGS, _FLAGS.pack(service_flags(svc), 0xffffffff)))
    attrs.append(nla_u32(IPVS_SVC_ATTR_TIMEOUT, svc.persistence_timeout or 0))
    attrs.append(nla(IPVS_SVC_ATTR_NETMASK, _netmask(svc)))
    if svc.persistence_engine:
        attrs.append(nla_str(IPVS_SVC_ATTR_PE_NAME, svc.persistence_engine))
    return attrs


def dest_id(rs):
    family = _family_of(rs.address)
    return [nla(IPVS_DEST_ATTR_ADDR, _addr(rs.address, family)),
            nla(IPVS_DEST_ATTR_PORT, _BE16.pack(rs.port)),
            nla_u16(IPVS_DEST_ATTR_ADDR_FAMILY, _AF[family])]


def dest_full(rs):
    attrs = dest_id(rs)
    attrs.append(nla_u32(IPVS_DEST_ATTR_FWD_METHOD, FORWARD_METHODS[rs.forward]))
    attrs.append(nla_u32(IPVS_DEST_ATTR_WEIGHT, rs.weight))
    attrs.append(nla_u32(IPVS_DEST_ATTR_U_THRESH, rs.upper_threshold or 0))
    attrs.append(nla_u32(IPVS_DEST_ATTR_L_THRESH, rs.lower_threshold or 0))
    if rs.forward == 'tun':
        attrs.append(nla(IPVS_DEST_ATTR_TUN_TYPE, struct.pack('=B', TUN_TYPES[rs.tun_type])))
        if rs.tun_port is not None:
            attrs.append(nla(IPVS_DEST_ATTR_TUN_PORT, _BE16.pack(rs.tun_port)))
        if rs.tun_csum is not None:
            attrs.append(nla_u16(IPVS_DEST_ATTR_TUN_FLAGS, TUN_FLAGS[rs.tun_csum]))
    return attrs


_TIMEOUT_ATTRS = (('tcp', IPVS_CMD_ATTR_TIMEOUT_TCP), ('tcpfin', IPVS_CMD_ATTR_TIMEOUT_TCP_FIN),
                  ('udp', IPVS_CMD_ATTR_TIMEOUT_UDP))


def command_request(command):
    """``(IPVS_CMD_*, attribute bytes)`` of one parsed ipvsadm rule (``_ipvs_save.Command``)."""
    op = command.op
    if op == 'C':
        return IPVS_CMD_FLUSH, b''
    if op == 'set':
        # 0 keeps the current value, as with ipvsadm --set: such a timeout is not sent.
        return IPVS_CMD_SET_CONFIG, b''.join(
            nla_u32(kind, command.timeouts[key]) for key, kind in _TIMEOUT_ATTRS
            if command.timeouts.get(key))
    svc = command.service
    if op == 'A':
        return IPVS_CMD_NEW_SERVICE, nla_nested(IPVS_CMD_ATTR_SERVICE, service_full(svc))
    if op == 'E':
        return IPVS_CMD_SET_SERVICE, nla_nested(IPVS_CMD_ATTR_SERVICE, service_full(svc))
    if op == 'D':
        return IPVS_CMD_DEL_SERVICE, nla_nested(IPVS_CMD_ATTR_SERVICE, service_id(svc))
    head = nla_nested(IPVS_CMD_ATTR_SERVICE, service_id(svc))
    rs = command.realserver
    if op == 'a':
        return IPVS_CMD_NEW_DEST, head + nla_nested(IPVS_CMD_ATTR_DEST, dest_full(rs))
    if op == 'e':
        return IPVS_CMD_SET_DEST, head + nla_nested(IPVS_CMD_ATTR_DEST, dest_full(rs))
    if op == 'd':
        return IPVS_CMD_DEL_DEST, head + nla_nested(IPVS_CMD_ATTR_DEST, dest_id(rs))
    raise IpvsError('no IPVS netlink request for ipvsadm command %r' % op)


def get_dests_request(svc):
    """Attributes of the GET_DEST dump of one service."""
    return nla_nested(IPVS_CMD_ATTR_SERVICE, service_id(svc))


# ---------------------------------------------------------------- parsing

def parse_messages(data, where='netlink'):
    """``[(type, flags, seq, payload)]`` of one datagram; strict about lengths."""
    out = []
    offset, end = 0, len(data)
    while offset < end:
        if end - offset < 16:
            raise _malformed(where, '%d stray bytes after the last message' % (end - offset))
        length, kind, flags, seq, _pid = _NLMSGHDR.unpack_from(data, offset)
        if length < 16 or offset + length > end:
            raise _malformed(where, 'message length %d with %d bytes left' % (length, end - offset))
        out.append((kind, flags, seq, data[offset + 16:offset + length]))
        offset += (length + 3) & ~3
    return out


def parse_attrs(data, where, offset=0):
    """``{type: payload}`` of an attribute stream (nested flag masked off)."""
    attrs = {}
    end = len(data)
    while offset < end:
        if end - offset < 4:
            raise _malformed(where, 'truncated attribute header (%d bytes)' % (end - offset))
        length, kind = _NLA.unpack_from(data, offset)
        if length < 4:
            raise _malformed(where, 'attribute %d has length %d' % (kind & NLA_TYPE_MASK, length))
        if offset + length > end:
            raise _malformed(where, 'attribute %d truncated: length %d, %d bytes left'
                             % (kind & NLA_TYPE_MASK, length, end - offset))
        attrs[kind & NLA_TYPE_MASK] = data[offset + 4:offset + length]
        offset += (length + 3) & ~3
    return attrs


def genl_attrs(payload, where):
    """``(genl cmd, {attr: payload})`` of a generic netlink message payload."""
    if len(payload) < 4:
        raise _malformed(where, 'generic netlink header truncated (%d bytes)' % len(payload))
    return payload[0], parse_attrs(payload, where, 4)


def _fixed(attrs, kind, codec, where, name, required=True):
    raw = attrs.get(kind)
    if raw is None:
        if required:
            raise _malformed(where, 'missing %s' % name)
        return None
    if len(raw) != codec.size:
        raise _malformed(where, '%s has %d bytes, expected %d' % (name, len(raw), codec.size))
    return codec.unpack(raw)[0]


def _string(attrs, kind, where, name, required=True):
    raw = attrs.get(kind)
    if raw is None:
        if required:
            raise _malformed(where, 'missing %s' % name)
        return None
    if not raw.endswith(b'\0'):
        raise _malformed(where, '%s is not NUL-terminated' % name)
    try:
        return raw.split(b'\0', 1)[0].decode('ascii')
    except UnicodeDecodeError:
        raise _malformed(where, '%s is not ASCII' % name)


def _address(raw, family, where, name):
    if raw is None:
        raise _malformed(where, 'missing %s' % name)
    size = 4 if family == INET else 16
    if len(raw) not in (size, 16):
        raise _malformed(where, '%s has %d bytes' % (name, len(raw)))
    return canon_address(socket.inet_ntop(_AF[family], raw[:size]))[0]


def _af(value, where, name):
    family = _FAMILY.get(value)
    if family is None:
        raise _malformed(where, '%s %r is neither AF_INET nor AF_INET6' % (name, value))
    return family


def ack_error(payload, flags, where):
    """``(errno, kernel message or None)`` of an NLMSG_ERROR payload (errno 0 = ack)."""
    if len(payload) < 4:
        raise _malformed(where, 'error message truncated (%d bytes)' % len(payload))
    error = _I32.unpack_from(payload)[0]
    message = None
    if flags & NLM_F_ACK_TLVS and error:
        # nlmsgerr: error, the request's header, (its payload unless capped), TLVs.
        offset = 4 + 16
        if not flags & NLM_F_CAPPED and len(payload) >= 20:
            offset = 4 + _NLMSGHDR.unpack_from(payload, 4)[0]
        offset = (offset + 3) & ~3
        if offset <= len(payload):
            try:
                message = _string(parse_attrs(payload, where, offset), NLMSGERR_ATTR_MSG,
                                  where, 'extended ack message', required=False)
            except MalformedReply:
                message = None
    return -error, message


def done_errno(payload):
    """The errno an NLMSG_DONE carries (0 for a complete dump)."""
    if len(payload) < 4:
        return 0
    return max(0, -_I32.unpack_from(payload)[0])


def parse_family_id(payload, where='CTRL_CMD_GETFAMILY'):
    _cmd, attrs = genl_attrs(payload, where)
    return _fixed(attrs, CTRL_ATTR_FAMILY_ID, _U16, where, 'CTRL_ATTR_FAMILY_ID')


def parse_stats(raw, where):
    """Counters of a STATS/STATS64 nest (u32 or u64 each, as the kernel sends them)."""
    attrs = parse_attrs(raw, where)
    out = {}
    for index, name in enumerate(STATS_ATTRS, 1):
        value = attrs.get(index)
        if value is None:
            raise _malformed(where, 'missing counter %s' % name)
        if len(value) == 4:
            out[name] = _U32.unpack(value)[0]
        elif len(value) == 8:
            out[name] = _U64.unpack(value)[0]
        else:
            raise _malformed(where, 'counter %s has %d bytes' % (name, len(value)))
    return out


def _stats(attrs, kind64, kind32, where):
    raw = attrs.get(kind64)
    if raw is None:
        raw = attrs.get(kind32)
    return None if raw is None else parse_stats(raw, where + ' stats')


def parse_service(payload, where='IPVS_CMD_GET_SERVICE', with_stats=False):
    """A Service (without real servers) of one GET_SERVICE dump message.

    ``with_stats`` returns ``(service, counters or None)``.
    """
    fields, attrs = service_fields(payload, where)
    svc = Service(*fields)
    if with_stats:
        return svc, _stats(attrs, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS, where)
    return svc


# A service in the order and sizes ip_vs_genl_fill_service() writes it (seen
# in a 6.1 kernel's reply, the SERVICE_REPLY test fixture, and from 7.2 in the
# lab): AF, PROTOCOL, ADDR (a whole nf_inet_addr), PORT; then SCHED_NAME,
# PE_NAME if set; FLAGS, TIMEOUT, NETMASK; then the counters.  Another kernel's
# layout is still read, by the general walk.
_KERNEL_HEAD = struct.Struct('=HHH2xHHH2xHH16sHH2s2x')
_KERNEL_TAIL = struct.Struct('=HHIIHHIHH4s')
_HEAD_NLAS = (6, IPVS_SVC_ATTR_AF, 6, IPVS_SVC_ATTR_PROTOCOL, 20, IPVS_SVC_ATTR_ADDR,
              6, IPVS_SVC_ATTR_PORT)
_TAIL_NLAS = (12, IPVS_SVC_ATTR_FLAGS, 8, IPVS_SVC_ATTR_TIMEOUT, 8, IPVS_SVC_ATTR_NETMASK)
_COUNTER_NLAS = (IPVS_SVC_ATTR_STATS, IPVS_SVC_ATTR_STATS64)
_ATTRS_AT = 8 + _KERNEL_HEAD.size  # where SCHED_NAME starts: genl header, SERVICE header, identity


def service_args(payload, where='IPVS_CMD_GET_SERVICE'):
    """The ``Service()`` arguments of one GET_SERVICE dump message (see :func:`service_fields`).

    A message laid out exactly as the kernel writes a non-fwmark service is
    read in one pass of fixed offsets, every header checked on the way;
    anything else (a fwmark, another order, a malformed message) goes through
    :func:`service_fields`, which also names what is wrong.  Why: at 10,000
    services the general walk was a quarter of a no-op run in the lab VM.
    """
    args = _kernel_layout(payload)
    return args if args is not None else service_fields(payload, where)[0]


def _kernel_head(payload):
    """The fields of ``_KERNEL_HEAD`` of a message that is one whole SERVICE attribute, or None."""
    end = len(payload)
    if end < _ATTRS_AT:
        return None
    length, kind = _NLA.unpack_from(payload, 4)
    if kind & NLA_TYPE_MASK != IPVS_CMD_ATTR_SERVICE or 4 + length != end:
        return None
    return _KERNEL_HEAD.unpack_from(payload, 8)


def _kernel_layout(payload):
    head = _kernel_head(payload)
    if head is None:
        return None
    end = len(payload)
    (l_af, t_af, af, l_pr, t_pr, number, l_ad, t_ad, raw_addr, l_po, t_po, raw_port) = head
    if (l_af, t_af, l_pr, t_pr, l_ad, t_ad, l_po, t_po) != _HEAD_NLAS:
        return None
    offset = _ATTRS_AT
    names = []
    for wanted in (IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_PE_NAME):
        if offset + 4 > end:
            return None
        length, kind = _NLA.unpack_from(payload, offset)
        if kind != wanted or length < 6 or offset + length > end or payload[offset + length - 1]:
            if wanted == IPVS_SVC_ATTR_SCHED_NAME:
                return None
            break
        names.append(payload[offset + 4:offset + length - 1])
        offset += (length + 3) & ~3
    if offset + _KERNEL_TAIL.size > end:
        return None
    l_fl, t_fl, flags, _mask, l_to, t_to, timeout, l_nm, t_nm, raw_mask = \
        _KERNEL_TAIL.unpack_from(payload, offset)
    if (l_fl, t_fl, l_to, t_to, l_nm, t_nm) != _TAIL_NLAS:
        return None
    if not _counters_framed(payload, offset + _KERNEL_TAIL.size, end):
        return None
    family = _FAMILY.get(af)
    protocol = _PROTOCOL_NAMES.get(number)
    if family is None or protocol is None or b'\0' in names[0] or (
            len(names) > 1 and b'\0' in names[1]):
        return None
    try:
        scheduler = names[0].decode('ascii')
        engine = names[1].decode('ascii') if len(names) > 1 else None
    except UnicodeDecodeError:
        return None
    if family == INET:
        address = socket.inet_ntoa(raw_addr[:4])
        netmask = socket.inet_ntoa(raw_mask) if flags & IP_VS_SVC_F_PERSISTENT else None
    else:
        address = canon_address(socket.inet_ntop(socket.AF_INET6, raw_addr))[0]
        netmask = str(_U32.unpack(raw_mask)[0]) if flags & IP_VS_SVC_F_PERSISTENT else None
    persistence = None
    if flags & IP_VS_SVC_F_PERSISTENT:
        persistence = timeout
        try:
            netmask = canon_netmask(netmask, family, 'IPVS_CMD_GET_SERVICE')
        except IpvsError:
            return None
    names_of = _FLAG_NAMES.get(scheduler, {})
    sched_flags = tuple(names_of.get(bit, 'flag-%d' % bit) for bit in (1, 2, 3)
                        if flags & _SCHED_BITS[bit])
    return (protocol, address, _BE16.unpack(raw_port)[0], None, family, scheduler, persistence,
            netmask, engine, bool(flags & IP_VS_SVC_F_ONEPACKET), sched_flags)


IP_VS_SVC_F_HASHED = 0x2  # set by the kernel on every listed service; not an attribute
_V4_HEAD = _HEAD_NLAS[:2] + (socket.AF_INET,) + _HEAD_NLAS[2:4]
_ZERO12 = bytes(12)  # the rest of an IPv4 service's 16-byte nf_inet_addr


def reference_service(payload, refs, seen):
    """The Service of ``refs`` (``{key: Service}``) this GET_SERVICE message shows exactly, or None.

    A shortcut for a table read against the declared one: a message in the
    kernel's layout (see :func:`service_args`) of an IPv4 service whose
    attributes, up to its counters, are byte for byte the ones the kernel
    writes for the reference's service with that key.  Those bytes read back
    as that service's attributes (a unit test holds the general parser to
    it), so the message is not parsed.  None means only "not shown to be
    equal": the caller parses it.  ``seen`` caches the expected bytes by the
    attributes, which few services of a table differ in.  Why: parsing and
    comparing each message was about a quarter of a no-op run in the lab VM.
    """
    head = _kernel_head(payload)
    if head is None:
        return None
    (l_af, t_af, af, l_pr, t_pr, number, l_ad, t_ad, raw_addr, l_po, t_po, raw_port) = head
    if (l_af, t_af, af, l_pr, t_pr) != _V4_HEAD or (l_ad, t_ad, l_po, t_po) != _HEAD_NLAS[4:]:
        return None
    protocol = _PROTOCOL_NAMES.get(number)
    if protocol is None or raw_addr[4:] != _ZERO12:
        return None
    ref = refs.get((protocol, socket.inet_ntoa(raw_addr[:4]), _BE16.unpack(raw_port)[0]))
    if ref is None or ref.fwmark is not None or ref.family != INET:
        return None
    attrs = ref.attrs()
    expected = seen.get(attrs)
    if expected is None:
        expected = seen[attrs] = expected_attrs(ref)
    if not payload.startswith(expected, _ATTRS_AT):
        return None
    if not _counters_framed(payload, _ATTRS_AT + len(expected), len(payload)):
        return None
    return ref


def _counters_framed(payload, offset, end):
    """Whether ``payload[offset:end]`` is whole counter attributes (their content is not read)."""
    while offset < end:
        if offset + 4 > end:
            return False
        length, kind = _NLA.unpack_from(payload, offset)
        if length < 4 or offset + length > end or kind & NLA_TYPE_MASK not in _COUNTER_NLAS:
            return False
        offset += (length + 3) & ~3
    return True


def expected_attrs(svc):
    """What ip_vs_genl_fill_service() writes after a service's identity, up to its counters.

    SCHED_NAME, PE_NAME if any, FLAGS (with the kernel's HASHED bit and mask
    ~0), TIMEOUT (0 unless persistent, as NEW_SERVICE sets it), NETMASK (as
    NEW_SERVICE sets it: see :func:`service_full`).
    """
    out = nla_str(IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler)
    if svc.persistence_engine:
        out += nla_str(IPVS_SVC_ATTR_PE_NAME, svc.persistence_engine)
    return (out + nla(IPVS_SVC_ATTR_FLAGS, _FLAGS.pack(service_flags(svc) | IP_VS_SVC_F_HASHED,
                                                       0xffffffff))
            + nla_u32(IPVS_SVC_ATTR_TIMEOUT, svc.persistence_timeout or 0)
            + nla(IPVS_SVC_ATTR_NETMASK, _netmask(svc)))


def service_fields(payload, where='IPVS_CMD_GET_SERVICE'):
    """``(Service arguments, attributes)`` of one GET_SERVICE dump message.

    The arguments are those of ``Service()``, in order and already in its
    canonical form, so a reader can compare them with a service it has
    before it builds one (see ``NetlinkRunner.read_table``).
    """
    _cmd, top = genl_attrs(payload, where)
    raw = top.get(IPVS_CMD_ATTR_SERVICE)
    if raw is None:
        raise _malformed(where, 'missing IPVS_CMD_ATTR_SERVICE')
    attrs = parse_attrs(raw, where)
    family = _af(_fixed(attrs, IPVS_SVC_ATTR_AF, _U16, where, 'IPVS_SVC_ATTR_AF'), where,
                 'IPVS_SVC_ATTR_AF')
    fwmark = _fixed(attrs, IPVS_SVC_ATTR_FWMARK, _U32, where, 'IPVS_SVC_ATTR_FWMARK', False)
    if fwmark:
        protocol = address = port = None
    else:
        fwmark = None
        number = _fixed(attrs, IPVS_SVC_ATTR_PROTOCOL, _U16, where, 'IPVS_SVC_ATTR_PROTOCOL')
        protocol = _PROTOCOL_NAMES.get(number)
        if protocol is None:
            raise _malformed(where, 'unknown protocol number %d' % number)
        address = _address(attrs.get(IPVS_SVC_ATTR_ADDR), family, where, 'IPVS_SVC_ATTR_ADDR')
        port = _fixed(attrs, IPVS_SVC_ATTR_PORT, _BE16, where, 'IPVS_SVC_ATTR_PORT')
    scheduler = _string(attrs, IPVS_SVC_ATTR_SCHED_NAME, where, 'IPVS_SVC_ATTR_SCHED_NAME')
    flags_raw = attrs.get(IPVS_SVC_ATTR_FLAGS)
    if flags_raw is None:
        raise _malformed(where, 'missing IPVS_SVC_ATTR_FLAGS')
    if len(flags_raw) != _FLAGS.size:
        raise _malformed(where, 'IPVS_SVC_ATTR_FLAGS has %d bytes' % len(flags_raw))
    flags = _FLAGS.unpack(flags_raw)[0]
    timeout = _fixed(attrs, IPVS_SVC_ATTR_TIMEOUT, _U32, where, 'IPVS_SVC_ATTR_TIMEOUT')
    mask_raw = attrs.get(IPVS_SVC_ATTR_NETMASK)
    if mask_raw is None or len(mask_raw) != 4:
        raise _malformed(where, 'IPVS_SVC_ATTR_NETMASK missing or not 4 bytes')
    persistence = netmask = None
    if flags & IP_VS_SVC_F_PERSISTENT:
        persistence = timeout
        if family == INET6:
            netmask = canon_netmask(str(_U32.unpack(mask_raw)[0]), family, where)
        else:
            netmask = canon_netmask(socket.inet_ntoa(mask_raw), family, where)
    names = _FLAG_NAMES.get(scheduler, {})
    sched_flags = tuple(names.get(bit, 'flag-%d' % bit) for bit in (1, 2, 3)
                        if flags & _SCHED_BITS[bit])
    return (protocol, address, port, fwmark, family, scheduler, persistence, netmask,
            _string(attrs, IPVS_SVC_ATTR_PE_NAME, where, 'IPVS_SVC_ATTR_PE_NAME', False),
            bool(flags & IP_VS_SVC_F_ONEPACKET), sched_flags), attrs


def parse_dest(payload, svc, where='IPVS_CMD_GET_DEST', with_extra=False):
    """A RealServer of one GET_DEST dump message of service ``svc``.

    A local destination reads as ``dr`` (what ``ipvsadm -Sn`` prints for it).
    ``with_extra`` returns ``(realserver, {'forward', 'active_conns',
    'inactive_conns', 'stats'})`` with ``forward`` as ``-Ln`` names it.
    """
    _cmd, top = genl_attrs(payload, where)
    raw = top.get(IPVS_CMD_ATTR_DEST)
    if raw is None:
        raise _malformed(where, 'missing IPVS_CMD_ATTR_DEST')
    attrs = parse_attrs(raw, where)
    af = _fixed(attrs, IPVS_DEST_ATTR_ADDR_FAMILY, _U16, where, 'IPVS_DEST_ATTR_ADDR_FAMILY',
                required=False)
    family = svc.family if af is None else _af(af, where, 'IPVS_DEST_ATTR_ADDR_FAMILY')
    address = _address(attrs.get(IPVS_DEST_ATTR_ADDR), family, where, 'IPVS_DEST_ATTR_ADDR')
    port = _fixed(attrs, IPVS_DEST_ATTR_PORT, _BE16, where, 'IPVS_DEST_ATTR_PORT')
    method = _fixed(attrs, IPVS_DEST_ATTR_FWD_METHOD, _U32, where, 'IPVS_DEST_ATTR_FWD_METHOD')
    name = _FORWARD_NAMES.get(method & IP_VS_CONN_F_FWD_MASK)
    if name is None:
        raise _malformed(where, 'unknown forwarding method %d' % method)
    weight = _fixed(attrs, IPVS_DEST_ATTR_WEIGHT, _I32, where, 'IPVS_DEST_ATTR_WEIGHT')
    upper = _fixed(attrs, IPVS_DEST_ATTR_U_THRESH, _U32, where, 'IPVS_DEST_ATTR_U_THRESH')
    lower = _fixed(attrs, IPVS_DEST_ATTR_L_THRESH, _U32, where, 'IPVS_DEST_ATTR_L_THRESH')
    tun_type = tun_port = tun_csum = None
    forward = 'dr' if name == 'local' else name
    if forward == 'tun':
        kind = attrs.get(IPVS_DEST_ATTR_TUN_TYPE)
        if kind is not None and len(kind) != 1:
            raise _malformed(where, 'IPVS_DEST_ATTR_TUN_TYPE has %d bytes' % len(kind))
        tun_type = _TUN_TYPE_NAMES.get(kind[0] if kind else 0)
        if tun_type is None:
            raise _malformed(where, 'unknown tunnel type %d' % kind[0])
        tun_port = _fixed(attrs, IPVS_DEST_ATTR_TUN_PORT, _BE16, where,
                          'IPVS_DEST_ATTR_TUN_PORT', False)
        csum = _fixed(attrs, IPVS_DEST_ATTR_TUN_FLAGS, _U16, where, 'IPVS_DEST_ATTR_TUN_FLAGS',
                      False) or 0
        tun_csum = _TUN_FLAG_NAMES.get(csum & 3)
        if tun_csum is None:
            raise _malformed(where, 'unknown tunnel flags %d' % csum)
    rs = RealServer(address, port, weight, forward, upper, lower, tun_type, tun_port, tun_csum)
    if not with_extra:
        return rs
    extra = {'forward': name,
             'active_conns': _fixed(attrs, IPVS_DEST_ATTR_ACTIVE_CONNS, _U32, where,
                                    'IPVS_DEST_ATTR_ACTIVE_CONNS'),
             'inactive_conns': _fixed(attrs, IPVS_DEST_ATTR_INACT_CONNS, _U32, where,
                                      'IPVS_DEST_ATTR_INACT_CONNS'),
             'stats': _stats(attrs, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS, where)}
    return rs, extra


def parse_timeouts(payload, where='IPVS_CMD_GET_CONFIG'):
    _cmd, attrs = genl_attrs(payload, where)
    return dict((key, _fixed(attrs, kind, _U32, where, 'timeout ' + key))
                for key, kind in _TIMEOUT_ATTRS)


def parse_info(payload, where='IPVS_CMD_GET_INFO'):
    """``(version text, connection table size)``."""
    _cmd, attrs = genl_attrs(payload, where)
    version = _fixed(attrs, IPVS_INFO_ATTR_VERSION, _U32, where, 'IPVS_INFO_ATTR_VERSION')
    size = _fixed(attrs, IPVS_INFO_ATTR_CONN_TAB_SIZE, _U32, where, 'IPVS_INFO_ATTR_CONN_TAB_SIZE')
    return '%d.%d.%d' % ((version >> 16) & 0xff, (version >> 8) & 0xff, version & 0xff), size


def parse_daemon(payload, where='IPVS_CMD_GET_DAEMON'):
    """One sync daemon, with the keys ``_ipvs_listing.parse_daemon`` gives (``ipvsadm -Ln --daemon``)."""
    _cmd, top = genl_attrs(payload, where)
    raw = top.get(IPVS_CMD_ATTR_DAEMON)
    if raw is None:
        raise _malformed(where, 'missing IPVS_CMD_ATTR_DAEMON')
    attrs = parse_attrs(raw, where)
    state = _fixed(attrs, IPVS_DAEMON_ATTR_STATE, _U32, where, 'IPVS_DAEMON_ATTR_STATE')
    entry = {'state': 'master' if state & IP_VS_STATE_MASTER else 'backup',
             'mcast_interface': _string(attrs, IPVS_DAEMON_ATTR_MCAST_IFN, where,
                                        'IPVS_DAEMON_ATTR_MCAST_IFN'),
             'syncid': _fixed(attrs, IPVS_DAEMON_ATTR_SYNC_ID, _U32, where,
                              'IPVS_DAEMON_ATTR_SYNC_ID')}
    # Optional, and like ipvsadm only shown when set.
    maxlen = _fixed(attrs, IPVS_DAEMON_ATTR_SYNC_MAXLEN, _U16, where, 'SYNC_MAXLEN', False)
    if maxlen:
        entry['maxlen'] = maxlen
    group = attrs.get(IPVS_DAEMON_ATTR_MCAST_GROUP)
    group6 = attrs.get(IPVS_DAEMON_ATTR_MCAST_GROUP6)
    if group6 is not None:
        entry['mcast_group'] = _address(group6, INET6, where, 'MCAST_GROUP6')
    elif group is not None and group != b'\0\0\0\0':
        entry['mcast_group'] = _address(group, INET, where, 'MCAST_GROUP')
    port = _fixed(attrs, IPVS_DAEMON_ATTR_MCAST_PORT, _U16, where, 'MCAST_PORT', False)
    if port:
        entry['mcast_port'] = port
    ttl = attrs.get(IPVS_DAEMON_ATTR_MCAST_TTL)
    if ttl:
        if len(ttl) != 1:
            raise _malformed(where, 'MCAST_TTL has %d bytes' % len(ttl))
        if ttl[0]:
            entry['mcast_ttl'] = ttl[0]
    return entry
