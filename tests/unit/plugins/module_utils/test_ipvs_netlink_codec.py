# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import binascii
import errno
import struct
import sys

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_rule, parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import RealServer, Service
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_netlink_sim import (
    GENL, dest_payload, request_line, request_order_payload, service_payload,
)

# Native-endian fields (lengths, types, u16/u32) are written little-endian here.
little_endian = pytest.mark.skipif(sys.byteorder != 'little', reason='fixtures are little-endian')


def unhex(text):
    return binascii.unhexlify(''.join(text.split()))


# A GET_SERVICE dump message of "-A -t 10.0.0.10:80 -s wlc" as the kernel sends it
# (flags carry IP_VS_SVC_F_HASHED, netmask the default ~0), without stats.
SERVICE_REPLY = unhex('''
01 01 00 00
54 00 01 80
  06 00 01 00 02 00 00 00
  06 00 02 00 06 00 00 00
  14 00 03 00 0a 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 00
  06 00 04 00 00 50 00 00
  08 00 06 00 77 6c 63 00
  0c 00 07 00 02 00 00 00 ff ff ff ff
  08 00 08 00 00 00 00 00
  08 00 09 00 ff ff ff ff
''')

# "-a -t 10.0.0.10:80 -r 10.0.0.11:8080 -m -w 2" as an IPVS_CMD_NEW_DEST request's attributes.
NEW_DEST_ATTRS = unhex('''
30 00 01 80
  06 00 01 00 02 00 00 00
  06 00 02 00 06 00 00 00
  14 00 03 00 0a 00 00 0a 00 00 00 00 00 00 00 00 00 00 00 00
  06 00 04 00 00 50 00 00
48 00 02 80
  14 00 01 00 0a 00 00 0b 00 00 00 00 00 00 00 00 00 00 00 00
  06 00 02 00 1f 90 00 00
  06 00 0b 00 02 00 00 00
  08 00 03 00 00 00 00 00
  08 00 04 00 02 00 00 00
  08 00 05 00 00 00 00 00
  08 00 06 00 00 00 00 00
''')


def sample_services():
    """Services and real servers covering every attribute the codec carries."""
    table = parse_save(
        '-A -t 10.0.0.10:80 -s wlc\n'
        '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1 -x 100 -y 10\n'
        '-a -t 10.0.0.10:80 -r 10.0.0.12:8080 -m -w 0\n'
        '-A -u [2001:db8::10]:53 -s sh -p 120 -M 64 -o -b sh-fallback,sh-port\n'
        '-a -u [2001:db8::10]:53 -r [2001:db8::11]:53 -i -w 3 --tun-type gue --tun-port 6080 --tun-remcsum\n'
        '-a -u [2001:db8::10]:53 -r [2001:db8::12]:53 -i -w 1 --tun-type gre --tun-csum\n'
        '-A -f 42 -s rr -p 300 -M 255.255.255.0 -b flag-1,flag-3\n'
        '-a -f 42 -r 10.0.0.31:0 -m -w 2\n'
        '-a -f 42 -r 10.0.0.32:0 -i -w 2\n'
        '-A -f 42 -6 -s mh -p 60 -b mh-port\n'
        '-a -f 42 -6 -r [2001:db8::31]:0 -g -w 2\n'
        '-A --sctp-service 10.0.0.40:3868 -s lc --pe sip -p 30\n')
    return table.sorted_services()


@little_endian
def test_service_reply_fixture_parses():
    svc = codec.parse_service(SERVICE_REPLY)
    assert svc == Service('tcp', '10.0.0.10', 80, scheduler='wlc')
    assert svc.persistence_timeout is None and svc.scheduler_flags == ()


@little_endian
def test_new_dest_request_bytes():
    cmd, attrs = codec.command_request(parse_rule('-a -t 10.0.0.10:80 -r 10.0.0.11:8080 -m -w 2'))
    assert cmd == codec.IPVS_CMD_NEW_DEST
    assert attrs == NEW_DEST_ATTRS


@little_endian
def test_message_framing():
    msg = codec.genlmsg(0x1a, codec.IPVS_CMD_FLUSH, codec.NLM_F_REQUEST | codec.NLM_F_ACK, 7)
    assert msg == unhex('14 00 00 00 1a 00 05 00 07 00 00 00 00 00 00 00 11 01 00 00')
    request = codec.getfamily_request(3)
    assert request[16:] == unhex('03 01 00 00 09 00 02 00 49 50 56 53 00 00 00 00')


@pytest.mark.parametrize('svc', sample_services(), ids=lambda s: s.spec)
def test_service_round_trip(svc):
    back = codec.parse_service(service_payload(svc))
    assert back.key == svc.key and back.attrs() == svc.attrs()


@pytest.mark.parametrize('svc', sample_services(), ids=lambda s: s.spec)
def test_kernel_layout_fast_path_reads_what_the_general_walk_reads(svc):
    kernel = service_payload(svc)
    want = codec.service_fields(request_order_payload(svc))[0]
    assert codec.service_fields(kernel)[0] == want
    assert codec.service_args(kernel) == want
    # Taken for every non-fwmark service in the kernel's layout, never for another
    # order (a request carries PE_NAME last).
    assert (codec._kernel_layout(kernel) is not None) == (svc.fwmark is None)
    if svc.persistence_engine:
        assert codec._kernel_layout(request_order_payload(svc)) is None


@little_endian
def test_kernel_layout_fast_path_on_the_kernel_fixture():
    assert codec._kernel_layout(SERVICE_REPLY) == codec.service_fields(SERVICE_REPLY)[0]


def _outcome(parse, payload):
    try:
        return parse(payload)
    except codec.IpvsError as exc:
        return ('refused', exc.msg)


@pytest.mark.parametrize('svc', [svc for svc in sample_services() if svc.fwmark is None],
                         ids=lambda s: s.spec)
def test_fast_path_never_accepts_what_the_general_walk_refuses(svc):
    # Every truncation and every byte set to 0x00, 0x07 or 0xff: the fast path
    # gives the general walk's answer or its error, word for word.
    kernel = service_payload(svc)

    def general(payload):
        return codec.service_fields(payload)[0]
    cases = [kernel[:cut] for cut in range(len(kernel))]
    cases += [kernel[:i] + bytes([value]) + kernel[i + 1:]
              for i in range(len(kernel)) for value in (0, 7, 255)]
    for payload in cases:
        assert _outcome(codec.service_args, payload) == _outcome(general, payload), payload


def reference_variants():
    """IPv4 services with every attribute the reference shortcut must tell apart."""
    return parse_save(
        '-A -t 10.0.0.10:80 -s wlc\n'
        '-A -t 10.0.0.11:80 -s rr -p 300\n'
        '-A -t 10.0.0.12:80 -s rr -p 300 -M 255.255.255.0\n'
        '-A -u 10.0.0.13:53 -s sh -o -b sh-fallback,sh-port\n'
        '-A -u 10.0.0.14:53 -s mh -b mh-port\n'
        '-A --sctp-service 10.0.0.15:3868 -s lc --pe sip -p 30\n'
        '-A -t 10.0.0.16:443 -s wrr -p 1\n').sorted_services()


def _same_key_others(svc):
    """Every other variant's attributes under ``svc``'s key."""
    for other in reference_variants() + sample_services():
        if other.fwmark is None and other.family == svc.family and other.attrs() != svc.attrs():
            yield Service(svc.protocol, svc.address, svc.port, scheduler=other.scheduler,
                          persistence_timeout=other.persistence_timeout,
                          persistence_netmask=other.persistence_netmask
                          if other.persistence_timeout else None,
                          persistence_engine=other.persistence_engine,
                          one_packet=other.one_packet, scheduler_flags=other.scheduler_flags)


@pytest.mark.parametrize('svc', reference_variants(), ids=lambda s: s.spec)
def test_reference_shortcut_takes_the_kernels_message_of_the_same_service(svc):
    kernel = service_payload(svc)
    assert codec.reference_service(kernel, {svc.key: svc}, {}) is svc
    # The bytes it compares with read back, through the general walk, as the service.
    assert kernel[8:].startswith(codec.expected_attrs(svc), codec._ATTRS_AT - 8)
    assert codec.service_fields(kernel)[0][5:] == svc.attrs()


@pytest.mark.parametrize('svc', reference_variants(), ids=lambda s: s.spec)
def test_reference_shortcut_refuses_any_other_attribute(svc):
    kernel = service_payload(svc)
    for other in _same_key_others(svc):
        assert codec.reference_service(kernel, {svc.key: other}, {}) is None, other.attrs()
    assert codec.reference_service(kernel, {}, {}) is None
    # No HASHED flag, a timeout or netmask no NEW_SERVICE of ours sets, another order:
    # not shown equal, so parsed (and the general walk still reads the same service).
    unhashed = kernel.replace(struct.pack('=HHII', 12, codec.IPVS_SVC_ATTR_FLAGS,
                                          codec.service_flags(svc) | codec.IP_VS_SVC_F_HASHED,
                                          0xffffffff),
                              struct.pack('=HHII', 12, codec.IPVS_SVC_ATTR_FLAGS,
                                          codec.service_flags(svc), 0xffffffff), 1)
    assert unhashed != kernel and codec.reference_service(unhashed, {svc.key: svc}, {}) is None
    assert codec.service_fields(unhashed)[0][5:] == svc.attrs()
    assert codec.reference_service(request_order_payload(svc), {svc.key: svc}, {}) is None
    if not svc.persistence_timeout:
        # A timeout left on a service that is not persistent means nothing, but
        # it is not what the shortcut predicts.
        zero = struct.pack('=HHI', 8, codec.IPVS_SVC_ATTR_TIMEOUT, 0)
        hidden = kernel.replace(zero, struct.pack('=HHI', 8, codec.IPVS_SVC_ATTR_TIMEOUT, 300), 1)
        assert hidden != kernel and codec.reference_service(hidden, {svc.key: svc}, {}) is None
        assert codec.service_fields(hidden)[0][5:] == svc.attrs()


def test_reference_shortcut_leaves_ipv6_and_fwmark_to_the_parser():
    for svc in sample_services():
        if svc.family != 'inet' or svc.fwmark is not None:
            assert codec.reference_service(service_payload(svc), {svc.key: svc}, {}) is None


@pytest.mark.parametrize('svc', reference_variants(), ids=lambda s: s.spec)
def test_reference_shortcut_never_vouches_for_what_the_parser_reads_otherwise(svc):
    # Every truncation and every byte set to 0x00, 0x07 or 0xff: the shortcut
    # never raises, and where it names the service the general walk reads that
    # service (only counter contents may differ).
    kernel = service_payload(svc)
    cases = [kernel[:cut] for cut in range(len(kernel))]
    cases += [kernel[:i] + bytes([value]) + kernel[i + 1:]
              for i in range(len(kernel)) for value in (0, 7, 255)]
    vouched = 0
    for payload in cases:
        if codec.reference_service(payload, {svc.key: svc}, {}) is svc:
            vouched += 1
            assert codec.service_fields(payload)[0] == codec.service_args(kernel), payload
    assert vouched > 0


def test_reference_shortcut_caches_by_attributes():
    first = Service('tcp', '10.0.0.1', 80, scheduler='wlc')
    second = Service('tcp', '10.0.0.2', 80, scheduler='wlc')
    seen = {}
    refs = {first.key: first, second.key: second}
    assert codec.reference_service(service_payload(first), refs, seen) is first
    assert codec.reference_service(service_payload(second), refs, seen) is second
    assert list(seen) == [first.attrs()]


@pytest.mark.parametrize('svc', sample_services(), ids=lambda s: s.spec)
def test_dest_round_trip(svc):
    for rs in svc.realservers.values():
        back, extra = codec.parse_dest(dest_payload(rs, 4, 5), svc, with_extra=True)
        assert back == rs
        assert extra['active_conns'] == 4 and extra['inactive_conns'] == 5
        assert extra['stats']['conns'] == 7 and extra['stats']['outbps'] == 70


@pytest.mark.parametrize('line', [
    '-A -t 10.0.0.10:80 -s wlc',
    '-E -u [2001:db8::10]:53 -s sh -p 120 -M 64 -o -b sh-fallback',
    '-D -f 42 -6',
    '-a -f 42 -r 10.0.0.31:0 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum',
    '-e -t 10.0.0.10:80 -r 10.0.0.12:8080 -m -w 0 -x 5 -y 1',
    '-d -t 10.0.0.10:80 -r 10.0.0.12:8080',
    '-C',
    '--set 0 0 60',
])
def test_every_command_encodes_and_decodes_to_itself(line):
    assert request_line(*codec.command_request(parse_rule(line))) == line


def test_local_destination_reads_as_dr_and_local_in_info():
    svc = Service('tcp', '10.0.0.10', 80)
    raw = dest_payload(RealServer('10.0.0.10', 80))
    local = raw.replace(struct.pack('=HHI', 8, codec.IPVS_DEST_ATTR_FWD_METHOD, 3),
                        struct.pack('=HHI', 8, codec.IPVS_DEST_ATTR_FWD_METHOD, 1))
    assert local != raw
    rs, extra = codec.parse_dest(local, svc, with_extra=True)
    assert rs.forward == 'dr' and extra['forward'] == 'local'


def test_info_timeouts_and_daemon():
    assert codec.parse_info(GENL + codec.nla_u32(1, 0x010201) + codec.nla_u32(2, 4096)) == ('1.2.1', 4096)
    assert codec.parse_timeouts(GENL + codec.nla_u32(4, 900) + codec.nla_u32(5, 120)
                                + codec.nla_u32(6, 300)) == {'tcp': 900, 'tcpfin': 120, 'udp': 300}
    daemon = GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DAEMON, [
        codec.nla_u32(codec.IPVS_DAEMON_ATTR_STATE, codec.IP_VS_STATE_MASTER),
        codec.nla_str(codec.IPVS_DAEMON_ATTR_MCAST_IFN, 'eth0'),
        codec.nla_u32(codec.IPVS_DAEMON_ATTR_SYNC_ID, 1),
        codec.nla_u16(codec.IPVS_DAEMON_ATTR_SYNC_MAXLEN, 1472),
        codec.nla(codec.IPVS_DAEMON_ATTR_MCAST_GROUP, bytes(bytearray([224, 0, 0, 81]))),
        codec.nla_u16(codec.IPVS_DAEMON_ATTR_MCAST_PORT, 8848),
        codec.nla(codec.IPVS_DAEMON_ATTR_MCAST_TTL, b'\x01')])
    assert codec.parse_daemon(daemon) == {'state': 'master', 'mcast_interface': 'eth0', 'syncid': 1,
                                          'maxlen': 1472, 'mcast_group': '224.0.0.81',
                                          'mcast_port': 8848, 'mcast_ttl': 1}


def test_ack_error_with_extended_message():
    request = codec.genlmsg(0x1a, codec.IPVS_CMD_NEW_DEST, 5, 9, NEW_DEST_ATTRS)
    payload = struct.pack('=i', -errno.ERANGE) + request[:16] + codec.nla_str(
        codec.NLMSGERR_ATTR_MSG, 'thresholds out of range')
    assert codec.ack_error(payload, codec.NLM_F_CAPPED | codec.NLM_F_ACK_TLVS, 'x') == (
        errno.ERANGE, 'thresholds out of range')
    # Uncapped: the whole request is echoed before the TLVs.
    payload = struct.pack('=i', -errno.EEXIST) + request
    assert codec.ack_error(payload, 0, 'x') == (errno.EEXIST, None)
    assert codec.ack_error(struct.pack('=i', 0) + request[:16], codec.NLM_F_CAPPED, 'x') == (0, None)


def test_parse_messages_splits_and_checks_lengths():
    one = codec.nlmsg(codec.NLMSG_DONE, codec.NLM_F_MULTI, 5, struct.pack('=i', 0))
    two = codec.nlmsg(0x1a, codec.NLM_F_MULTI, 5, SERVICE_REPLY)
    assert [m[:3] for m in codec.parse_messages(two + one)] == [
        (0x1a, codec.NLM_F_MULTI, 5), (codec.NLMSG_DONE, codec.NLM_F_MULTI, 5)]
    with pytest.raises(codec.MalformedReply, match='message length'):
        codec.parse_messages(two[:-4])
    with pytest.raises(codec.MalformedReply, match='stray bytes'):
        codec.parse_messages(two + b'\0' * 8)
    bad = struct.pack('=IHHII', 8, 0x1a, 0, 5, 0)
    with pytest.raises(codec.MalformedReply, match='message length 8'):
        codec.parse_messages(bad)


def _replace_attr(payload, kind, new):
    """``payload`` (a service reply) with attribute ``kind`` of the nest replaced by ``new`` bytes."""
    top = codec.parse_attrs(payload, 'test', 4)
    inner = codec.parse_attrs(top[codec.IPVS_CMD_ATTR_SERVICE], 'test')
    parts = []
    for key in sorted(inner):
        if key == kind:
            if new is not None:
                parts.append(new)
        else:
            parts.append(codec.nla(key, inner[key]))
    return GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_SERVICE, parts)


@pytest.mark.parametrize('payload, message', [
    # The nest claims more bytes than the message has.
    (SERVICE_REPLY[:-8], 'attribute 1 truncated: length 84, 76 bytes left'),
    # An attribute header cut in the middle.
    (SERVICE_REPLY + b'\x08\x00', 'truncated attribute header'),
    # An attribute whose length is below its own header.
    (SERVICE_REPLY[:4] + b'\x02\x00\x01\x80', 'attribute 1 has length 2'),
    # A fixed-size attribute of the wrong size.
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_PORT, codec.nla(codec.IPVS_SVC_ATTR_PORT, b'\0P\0')),
     'IPVS_SVC_ATTR_PORT has 3 bytes, expected 2'),
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_ADDR, codec.nla(codec.IPVS_SVC_ATTR_ADDR, b'\n\0\0')),
     'IPVS_SVC_ATTR_ADDR has 3 bytes'),
    # Attributes the kernel always sends.
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_SCHED_NAME, None), 'missing IPVS_SVC_ATTR_SCHED_NAME'),
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_AF, None), 'missing IPVS_SVC_ATTR_AF'),
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_FLAGS, None), 'missing IPVS_SVC_ATTR_FLAGS'),
    (GENL, 'missing IPVS_CMD_ATTR_SERVICE'),
    (b'\x01\x01', 'generic netlink header truncated'),
    # Values that mean nothing.
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_PROTOCOL, codec.nla_u16(codec.IPVS_SVC_ATTR_PROTOCOL, 99)),
     'unknown protocol number 99'),
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_AF, codec.nla_u16(codec.IPVS_SVC_ATTR_AF, 7)),
     'neither AF_INET nor AF_INET6'),
    (_replace_attr(SERVICE_REPLY, codec.IPVS_SVC_ATTR_SCHED_NAME, codec.nla(codec.IPVS_SVC_ATTR_SCHED_NAME, b'wlc')),
     'not NUL-terminated'),
])
@little_endian
def test_malformed_service_replies_fail_clearly(payload, message):
    for parse in (codec.parse_service, codec.service_args):
        with pytest.raises(codec.MalformedReply) as err:
            parse(payload)
        assert err.value.msg.startswith('malformed IPVS netlink reply (IPVS_CMD_GET_SERVICE): ')
        assert message in err.value.msg


def test_malformed_dest_replies_fail_clearly():
    svc = Service('tcp', '10.0.0.10', 80)
    good = dest_payload(RealServer('10.0.0.11', 80, 3))
    inner = codec.parse_attrs(codec.parse_attrs(good, 't', 4)[codec.IPVS_CMD_ATTR_DEST], 't')
    for kind, name in ((codec.IPVS_DEST_ATTR_WEIGHT, 'IPVS_DEST_ATTR_WEIGHT'),
                       (codec.IPVS_DEST_ATTR_ADDR, 'IPVS_DEST_ATTR_ADDR'),
                       (codec.IPVS_DEST_ATTR_FWD_METHOD, 'IPVS_DEST_ATTR_FWD_METHOD'),
                       (codec.IPVS_DEST_ATTR_U_THRESH, 'IPVS_DEST_ATTR_U_THRESH')):
        parts = [codec.nla(k, v) for k, v in sorted(inner.items()) if k != kind]
        with pytest.raises(codec.MalformedReply, match='missing %s' % name):
            codec.parse_dest(GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DEST, parts), svc)
    parts = [codec.nla(k, v if k != codec.IPVS_DEST_ATTR_FWD_METHOD else struct.pack('=I', 4))
             for k, v in sorted(inner.items())]
    with pytest.raises(codec.MalformedReply, match='unknown forwarding method 4'):
        codec.parse_dest(GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DEST, parts), svc)
    stats = codec.nla_nested(codec.IPVS_DEST_ATTR_STATS64, [codec.nla(1, b'\0' * 8)])
    parts = [codec.nla(k, v) for k, v in sorted(inner.items()) if k != codec.IPVS_DEST_ATTR_STATS64]
    with pytest.raises(codec.MalformedReply, match='missing counter inpkts'):
        codec.parse_dest(GENL + codec.nla_nested(codec.IPVS_CMD_ATTR_DEST, parts + [stats]), svc,
                         with_extra=True)


def test_malformed_reply_is_an_ipvs_error_with_a_result():
    with pytest.raises(codec.MalformedReply) as err:
        codec.parse_timeouts(GENL + codec.nla_u32(4, 900))
    assert err.value.to_result() == {'msg': 'malformed IPVS netlink reply (IPVS_CMD_GET_CONFIG): '
                                            'missing timeout tcpfin'}
