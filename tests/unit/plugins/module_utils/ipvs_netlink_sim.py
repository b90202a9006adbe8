# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake IPVS netlink transport for the tests: real request and reply bytes, a simulated kernel.

Requests are decoded from their bytes (so the encoder is checked), turned
into the equivalent ipvsadm rule and run on the ipvs_sim Simulator (the
kernel semantics the ipvsadm tests use); a refused rule becomes the errno
the kernel returns.  Dumps are encoded as the kernel encodes them.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import socket
import struct

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec
from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET, INET6, canon_address, hostport
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import PROTOCOL_OPTS, Service
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_sim import (
    SimError, Simulator,
)

GENL = struct.pack('=BBH', 0, 1, 0)
_ERRNOS = (('File exists', errno.EEXIST), ('No such service', errno.ESRCH),
           ('Service not defined', errno.ESRCH), ('Destination already exists', errno.EEXIST),
           ('No such destination', errno.ENOENT))
ZERO_STATS = codec.nla_nested(codec.IPVS_SVC_ATTR_STATS64, [
    codec.nla(i, struct.pack('=Q', 0)) for i in range(1, 11)])


def service_payload(svc, stats=ZERO_STATS):
    """A GET_SERVICE dump message in the kernel's layout (ip_vs_genl_fill_service).

    AF; FWMARK, or PROTOCOL, ADDR (a whole 16-byte nf_inet_addr) and PORT;
    SCHED_NAME, PE_NAME if set; FLAGS (with HASHED, as every listed service
    has it; mask ~0), TIMEOUT, NETMASK; counters.
    """
    attrs = [codec.nla_u16(codec.IPVS_SVC_ATTR_AF, codec._AF[svc.family])]
    if svc.fwmark is not None:
        attrs.append(codec.nla_u32(codec.IPVS_SVC_ATTR_FWMARK, svc.fwmark))
    else:
        family = socket.AF_INET6 if svc.family == INET6 else socket.AF_INET
        addr = socket.inet_pton(family, svc.address).ljust(16, b'\0')
        attrs += [codec.nla_u16(codec.IPVS_SVC_ATTR_PROTOCOL, codec.PROTOCOLS[svc.protocol]),
                  codec.nla(codec.IPVS_SVC_ATTR_ADDR, addr),
                  codec.nla(codec.IPVS_SVC_ATTR_PORT, struct.pack('>H', svc.port))]
    attrs.append(codec.nla_str(codec.IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler))
    if svc.persistence_engine:
        attrs.append(codec.nla_str(codec.IPVS_SVC_ATTR_PE_NAME, svc.persistence_engine))
    attrs += [codec.nla(codec.IPVS_SVC_ATTR_FLAGS,
                        struct.pack('=II', codec.service_flags(svc) | codec.IP_VS_SVC_F_HASHED,
                                    0xffffffff)),
              codec.nla_u32(codec.IPVS_SVC_ATTR_TIMEOUT, svc.persistence_timeout or 0),
              codec.nla(codec.IPVS_SVC_ATTR_NETMASK, codec._netmask(svc)), stats]
    return GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_SERVICE, attrs)


def request_order_payload(svc, stats=ZERO_STATS):
    """The same service in the order requests carry it: not the kernel's layout."""
    return GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_SERVICE, codec.service_full(svc) + [stats])


def dest_payload(rs, active=0, inactive=0):
    extra = [codec.nla_u32(codec.IPVS_DEST_ATTR_ACTIVE_CONNS, active),
             codec.nla_u32(codec.IPVS_DEST_ATTR_INACT_CONNS, inactive),
             codec.nla_u32(codec.IPVS_DEST_ATTR_PERSIST_CONNS, 0),
             codec.nla_nested(codec.IPVS_DEST_ATTR_STATS64,
                              [codec.nla(i, struct.pack('=Q', 7 * i)) for i in range(1, 11)])]
    return GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DEST, codec.dest_full(rs) + extra)


def _spec(raw):
    """The ipvsadm service spec of a decoded IPVS_CMD_ATTR_SERVICE identity."""
    attrs = codec.parse_attrs(raw, 'request')
    family = INET6 if struct.unpack('=H', attrs[codec.IPVS_SVC_ATTR_AF])[0] == socket.AF_INET6 \
        else INET
    if codec.IPVS_SVC_ATTR_FWMARK in attrs:
        mark = struct.unpack('=I', attrs[codec.IPVS_SVC_ATTR_FWMARK])[0]
        return '-f %d -6' % mark if family == INET6 else '-f %d' % mark
    proto = {6: 'tcp', 17: 'udp', 132: 'sctp'}[
        struct.unpack('=H', attrs[codec.IPVS_SVC_ATTR_PROTOCOL])[0]]
    size = 16 if family == INET6 else 4
    addr = socket.inet_ntop(socket.AF_INET6 if family == INET6 else socket.AF_INET,
                            attrs[codec.IPVS_SVC_ATTR_ADDR][:size])
    port = struct.unpack('>H', attrs[codec.IPVS_SVC_ATTR_PORT])[0]
    return '%s %s' % (PROTOCOL_OPTS[proto], hostport(canon_address(addr)[0], port))


def request_line(cmd, attrs):
    """The ipvsadm rule a request stands for (decoded from its bytes)."""
    top = codec.parse_attrs(attrs, 'request')
    if cmd == codec.IPVS_CMD_FLUSH:
        return '-C'
    if cmd == codec.IPVS_CMD_SET_CONFIG:
        values = [struct.unpack('=I', top[k])[0] if k in top else 0 for k in (4, 5, 6)]
        return '--set %d %d %d' % tuple(values)
    spec = _spec(top[codec.IPVS_CMD_ATTR_SERVICE])
    if cmd in (codec.IPVS_CMD_NEW_SERVICE, codec.IPVS_CMD_SET_SERVICE):
        svc = codec.parse_service(GENL + attrs)
        return '%s %s %s' % ('-A' if cmd == codec.IPVS_CMD_NEW_SERVICE else '-E', spec,
                             svc.options())
    if cmd == codec.IPVS_CMD_DEL_SERVICE:
        return '-D %s' % spec
    dest = codec.parse_attrs(top[codec.IPVS_CMD_ATTR_DEST], 'request')
    if cmd == codec.IPVS_CMD_DEL_DEST:
        fam = struct.unpack('=H', dest[codec.IPVS_DEST_ATTR_ADDR_FAMILY])[0]
        size = 16 if fam == socket.AF_INET6 else 4
        addr = canon_address(socket.inet_ntop(fam, dest[codec.IPVS_DEST_ATTR_ADDR][:size]))[0]
        port = struct.unpack('>H', dest[codec.IPVS_DEST_ATTR_PORT])[0]
        return '-d %s -r %s' % (spec, hostport(addr, port))
    family = INET6 if spec.endswith('-6') or '[' in spec else INET
    probe = Service('tcp', '::1' if family == INET6 else '127.0.0.1', 1, family=family)
    rs = codec.parse_dest(GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DEST,
                                                  [top[codec.IPVS_CMD_ATTR_DEST]]), probe)
    return '%s %s %s' % ('-a' if cmd == codec.IPVS_CMD_NEW_DEST else '-e', spec, rs.options())


class FakeNetlink(object):
    """``dump``/``request``/``batch`` of GenlSocket over a Simulator."""

    def __init__(self, table=None, timeouts=None, fail=None):
        self.sim = Simulator(table, timeouts)
        self.fail = fail or (lambda line, batch: False)
        self.batches = []
        self.dumps = []
        self.lines = []
        self.daemons = []
        self.window = 3
        self.proc_reads = 0

    def proc(self):
        """``/proc/net/ip_vs`` of the simulated table (NetlinkRunner's ``read_proc``)."""
        self.proc_reads += 1
        return proc_text(self.sim.table)

    def dump(self, cmd, attrs=b''):
        self.dumps.append(cmd)
        if cmd == codec.IPVS_CMD_GET_SERVICE:
            return [service_payload(svc) for svc in self.sim.table.services.values()]
        if cmd == codec.IPVS_CMD_GET_DEST:
            spec = _spec(codec.parse_attrs(attrs, 'dump')[codec.IPVS_CMD_ATTR_SERVICE])
            for svc in self.sim.table.services.values():
                if svc.spec == spec:
                    return [dest_payload(rs, 2, 3) for rs in svc.realservers.values()]
            return []
        if cmd == codec.IPVS_CMD_GET_DAEMON:
            return list(self.daemons)
        raise AssertionError('unexpected dump %r' % cmd)

    def stream(self, cmd, attrs=b''):
        return iter(self.dump(cmd, attrs))

    def request(self, cmd, attrs=b''):
        if cmd == codec.IPVS_CMD_GET_CONFIG:
            t = self.sim.timeouts
            return [GENL + b''.join(codec.nla_u32(k, t[n]) for n, k in
                                    (('tcp', 4), ('tcpfin', 5), ('udp', 6)))]
        if cmd == codec.IPVS_CMD_GET_INFO:
            return [GENL + codec.nla_u32(1, 0x010201) + codec.nla_u32(2, 4096)]
        raise AssertionError('unexpected request %r' % cmd)

    def batch(self, requests):
        self.batches.append(requests)
        failures = []
        start = 0
        while start < len(requests) and not failures:
            end = min(len(requests), start + self.window)
            for index in range(start, end):
                line = request_line(*requests[index])
                self.lines.append(line)
                try:
                    if self.fail(line, len(self.batches)):
                        raise SimError('Cannot allocate memory')
                    self.sim.run(line)
                except SimError as exc:
                    number = errno.ENOMEM
                    for text, value in _ERRNOS:
                        if str(exc).startswith(text):
                            number = value
                    failures.append((index, number, None))
            start = end
        return failures, len(requests) - start


_PROC_FORWARD = {'dr': 'Route', 'nat': 'Masq', 'tun': 'Tunnel'}


def _proc_hostport(address, port):
    if ':' in address:
        full = socket.inet_pton(socket.AF_INET6, address).hex()
        return '[%s]:%04X' % (':'.join(full[i:i + 4] for i in range(0, 32, 4)), port)
    return '%s:%04X' % (socket.inet_aton(address).hex().upper(), port)


def proc_text(table, local=()):
    """``/proc/net/ip_vs`` of ``table`` as ip_vs_info_seq_show prints it.

    Destinations in reverse order of insertion (the kernel adds at the list
    head); addresses in ``local`` print as "Local".
    """
    out = ['IP Virtual Server version 1.2.1 (size=4096)',
           'Prot LocalAddress:Port Scheduler Flags',
           '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn']
    for svc in table.services.values():
        ops = 'ops ' if svc.one_packet else ''
        if svc.fwmark is not None:
            head = 'FWM  %08X %s %s' % (svc.fwmark, svc.scheduler, ops)
        elif svc.family == INET6:
            head = '%s  %s %s ' % (svc.protocol.upper(), _proc_hostport(svc.address, svc.port),
                                   svc.scheduler)
        else:
            head = '%s  %s %s %s' % (svc.protocol.upper(), _proc_hostport(svc.address, svc.port),
                                     svc.scheduler, ops)
        if svc.persistence_timeout:
            head += 'persistent %d %08X' % (svc.persistence_timeout, 0xffffffff)
        out.append(head)
        for rs in reversed(list(svc.realservers.values())):
            forward = 'Local' if rs.address in local else _PROC_FORWARD[rs.forward]
            out.append('  -> %s      %-7s %-6d %-10d %-10d' % (
                _proc_hostport(rs.address, rs.port), forward, rs.weight, 2, 3))
    return '\n'.join(out) + '\n'
