# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The forwarding-path probe's pure core: plan, packets as IPVS forwards them, the verdict."""
import socket
import struct

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._path_probe import (
    ACK, ETH_P_IP, ETH_P_IPV6, PROTO_IPIP, PROTO_IPV6, RST, SYN, PathProbeError, answer, check_entry, checksum,
    ethernet, frame, ip_packet, parse_frame, plan, summary, tcp_segment,
)

DR = {'name': 'web', 'host': 'dr1', 'mode': 'dr', 'vip': '10.0.0.10', 'port': 80, 'rip': '10.0.0.11', 'rport': 80}
TUN6 = {'name': 'web6', 'host': 'tun1', 'mode': 'tun', 'vip': '2001:db8::20', 'port': 80, 'rip': '2001:db8:20::21',
        'rport': 80}
MAC_A, MAC_B = '52:54:00:00:00:01', '52:54:00:00:00:02'


def test_plan_takes_this_directors_weighted_tcp_real_servers():
    services = [
        {'name': 'web', 'mode': 'dr', 'protocol': 'tcp', 'vip': '10.0.0.10', 'port': 80, 'directors': ['lb1', 'lb2'],
         'realservers': [{'host': 'dr1', 'address': '10.0.0.11/24', 'weight': 1},
                         {'host': 'dr2', 'address': '10.0.0.12/24', 'weight': 0}]},
        {'name': 'nat', 'mode': 'nat', 'protocol': 'tcp', 'vip': '10.0.0.30', 'port': 8080, 'directors': ['lb1'],
         'realservers': [{'host': 'nat1', 'address': '192.168.10.31/24', 'port': 80}]},
        {'name': 'dns', 'mode': 'dr', 'protocol': 'udp', 'vip': '10.0.0.53', 'port': 53, 'directors': ['lb1'],
         'realservers': [{'host': 'dr1', 'address': '10.0.0.11/24'}]},
        {'name': 'mark', 'mode': 'dr', 'fwmark': 7, 'directors': ['lb1'], 'realservers': [{'host': 'dr1'}]},
        {'name': 'other', 'mode': 'dr', 'vip': '10.0.0.50', 'port': 80, 'directors': ['lb9'],
         'realservers': [{'host': 'dr1', 'address': '10.0.0.11/24'}]},
    ]
    assert plan(services, 'lb1') == [
        dict(DR, name='web'),
        {'name': 'nat', 'host': 'nat1', 'mode': 'nat', 'vip': '10.0.0.30', 'port': 8080, 'rip': '192.168.10.31',
         'rport': 80}]
    assert plan(services, 'lb2') == [DR]
    # A NAT service of a director group: a backup (no DIP, no route) may skip the probe.
    grouped = dict(services[1], directors=['lb1', 'lb2'])
    assert [e.get('standby') for e in plan([grouped], 'lb2')] == [True]
    assert plan(None, 'lb1') == []


@pytest.mark.parametrize('change, message', [
    ({'mode': 'masq'}, "mode 'masq'"),
    ({'vip': '10.0.0'}, "vip '10.0.0' is not an IP address"),
    ({'rip': '2001:db8::1'}, 'are not of one family'),
    ({'port': 0}, 'port 0 is not 1-65535'),
    ({'rport': 'x'}, "rport 'x'"),
])
def test_bad_entries_are_refused_before_anything_is_sent(change, message):
    with pytest.raises(PathProbeError, match=message):
        check_entry(dict(DR, **change), 0)
    with pytest.raises(PathProbeError, match='not a dict'):
        check_entry('web', 3)


def test_checksum_of_a_checksummed_header_is_zero():
    packet = ip_packet('10.0.0.1', '10.0.0.10', 6, b'')
    assert checksum(packet[:20]) == 0
    assert checksum(b'\x01') == ~0x0100 & 0xFFFF


def test_tcp_checksum_verifies_over_the_pseudo_header_both_families():
    for src, dst in (('10.0.0.1', '10.0.0.10'), ('2001:db8::1', '2001:db8::10')):
        segment = tcp_segment(src, dst, 40000, 80, 123, 0, SYN)
        family = socket.AF_INET6 if ':' in src else socket.AF_INET
        addresses = socket.inet_pton(family, src) + socket.inet_pton(family, dst)
        if family == socket.AF_INET6:
            pseudo = addresses + struct.pack('!I3xB', 20, 6)
        else:
            pseudo = addresses + struct.pack('!xBH', 6, 20)
        assert checksum(pseudo + segment) == 0


def test_dr_frame_is_the_syn_to_the_vip_at_the_real_servers_mac():
    data = frame(DR, '10.0.0.1', MAC_A, MAC_B, 40000, 1000, SYN)
    assert len(data) == 60  # padded to Ethernet's minimum
    assert data[:6] == bytes.fromhex('525400000002') and data[6:12] == bytes.fromhex('525400000001')
    assert struct.unpack('!H', data[12:14])[0] == ETH_P_IP
    parsed = parse_frame(data)
    assert parsed == {'src': '10.0.0.1', 'dst': '10.0.0.10', 'sport': 40000, 'dport': 80, 'seq': 1000, 'ack': 0,
                      'flags': SYN}


def test_tun_frames_encapsulate_to_the_real_servers_address():
    v4 = frame(dict(DR, mode='tun', rip='10.0.20.21'), '10.0.0.1', MAC_A, MAC_B, 40000, 1, SYN)
    outer = v4[14:]
    assert outer[9] == PROTO_IPIP and socket.inet_ntop(socket.AF_INET, outer[16:20]) == '10.0.20.21'
    assert struct.unpack('!H', outer[2:4])[0] == 40 + 20  # outer header + inner IPv4 + TCP
    assert socket.inet_ntop(socket.AF_INET, outer[20 + 16:20 + 20]) == '10.0.0.10'
    v6 = frame(TUN6, '2001:db8::1', MAC_A, MAC_B, 40000, 1, SYN)
    assert struct.unpack('!H', v6[12:14])[0] == ETH_P_IPV6
    outer = v6[14:]
    assert outer[6] == PROTO_IPV6 and socket.inet_ntop(socket.AF_INET6, outer[24:40]) == '2001:db8:20::21'
    assert socket.inet_ntop(socket.AF_INET6, outer[40 + 24:40 + 40]) == '2001:db8::20'
    # An encapsulated frame is not taken for a plain TCP segment.
    assert parse_frame(v4) is None and parse_frame(v6) is None


def test_nat_gets_no_frame_and_macs_are_checked():
    with pytest.raises(PathProbeError, match='plain connection'):
        frame(dict(DR, mode='nat'), '10.0.0.1', MAC_A, MAC_B, 40000, 1, SYN)
    with pytest.raises(PathProbeError, match='not a MAC'):
        ethernet('52:54:00', MAC_A, ETH_P_IP, b'')


def _reply(flags, ack, src='10.0.0.10', sport=80, dport=40000, dst='10.0.0.1'):
    segment = tcp_segment(src, dst, sport, dport, 555, ack, flags)
    return ethernet(MAC_A, MAC_B, ETH_P_IPV6 if ':' in src else ETH_P_IP, ip_packet(src, dst, 6, segment))


def test_answer_is_open_on_our_syn_ack_and_refused_on_our_rst():
    assert answer(parse_frame(_reply(SYN | ACK, 1001)), DR, '10.0.0.1', 40000, 1000) == 'open'
    assert answer(parse_frame(_reply(RST | ACK, 1001)), DR, '10.0.0.1', 40000, 1000) == 'refused'
    six = dict(TUN6, port=443)
    assert answer(parse_frame(_reply(SYN | ACK, 8, '2001:db8::20', 443, 40000, '2001:db8::1')), six, '2001:db8::1',
                  40000, 7) == 'open'


@pytest.mark.parametrize('frame_bytes', [
    _reply(SYN | ACK, 999),                       # acknowledges another sequence
    _reply(SYN | ACK, 1001, src='10.0.0.11'),     # from the real server's own address, not the VIP
    _reply(SYN | ACK, 1001, sport=81),
    _reply(SYN | ACK, 1001, dport=40001),
    _reply(SYN | ACK, 1001, dst='10.0.0.2'),
    _reply(ACK, 1001),                            # neither SYN-ACK nor RST
    b'\x00' * 10,
])
def test_anything_else_is_not_an_answer(frame_bytes):
    assert answer(parse_frame(frame_bytes), DR, '10.0.0.1', 40000, 1000) is None


def test_sequence_wraps():
    assert answer(parse_frame(_reply(SYN | ACK, 0)), DR, '10.0.0.1', 40000, 0xFFFFFFFF) == 'open'


def test_summary_names_each_failure_not_the_skipped_probes():
    assert summary([dict(DR, ok=True, error=None), dict(DR, host='dr2', rip='10.0.0.12', ok=False, error='no answer'),
                    dict(DR, mode='nat', ok=False, skipped=True, error='skipped: ...')]) == [
        'web dr2 (dr via 10.0.0.12): no answer']


def test_the_syn_cannot_be_forwarded_on_but_the_tunnel_can_be_routed():
    dr_frame = frame(DR, '10.0.0.1', MAC_A, MAC_B, 40000, 1, SYN)
    assert dr_frame[14 + 8] == 1  # inner TTL
    tun = frame(dict(DR, mode='tun', rip='10.0.20.21'), '10.0.0.1', MAC_A, MAC_B, 40000, 1, SYN)
    assert tun[14 + 8] == 64 and tun[14 + 20 + 8] == 1  # outer routed, inner not
    six = frame(TUN6, '2001:db8::1', MAC_A, MAC_B, 40000, 1, SYN)
    assert six[14 + 7] == 64 and six[14 + 40 + 7] == 1  # hop limits
