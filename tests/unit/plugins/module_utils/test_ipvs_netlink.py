# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The netlink transport on a scripted socket, and NetlinkRunner on the simulated kernel."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import socket
import struct

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import (
    DumpInterrupted, FamilyMissing, GenlSocket, NetlinkError, errno_text,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save, restore_file
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import (
    NetlinkRunner, Runner, converge, restore_text, save_text, select_backend,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_netlink_sim import (
    FakeNetlink, dest_payload, service_payload,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_ipvs_runner import (
    LIVE, FakeIpvsadm,
)

FAMILY = 0x1a


def ack(seq, err=0, kind=codec.NLMSG_ERROR):
    return codec.nlmsg(kind, codec.NLM_F_CAPPED, seq,
                       struct.pack('=i', -err) + struct.pack('=IHHII', 20, FAMILY, 5, seq, 0))


def done(seq, err=0):
    return codec.nlmsg(codec.NLMSG_DONE, codec.NLM_F_MULTI, seq, struct.pack('=i', -err))


def part(seq, payload, flags=codec.NLM_F_MULTI):
    return codec.nlmsg(FAMILY, flags, seq, payload)


class FakeSock(object):
    """A netlink socket whose kernel side is ``handler(sock, messages) -> datagrams``."""

    def __init__(self, handler, family_error=0, rcvbuf=212992):
        self.handler = handler
        self.family_error = family_error
        self.rcvbuf = rcvbuf
        self.queue = []
        self.sent = []

    def send(self, data):
        self.sent.append(data)
        msgs = codec.parse_messages(data)
        if msgs[0][0] == codec.GENL_ID_CTRL:
            seq = msgs[0][2]
            if self.family_error:
                self.queue.append(ack(seq, self.family_error))
            else:
                self.queue.append(codec.nlmsg(codec.GENL_ID_CTRL, 0, seq, struct.pack('=BBH', 1, 2, 0)
                                              + codec.nla_u16(codec.CTRL_ATTR_FAMILY_ID, FAMILY)))
                self.queue.append(ack(seq))
            return len(data)
        self.queue.extend(self.handler(self, msgs))
        return len(data)

    def recvmsg_into(self, buffers):
        if not self.queue:
            raise socket.timeout()
        item = self.queue.pop(0)
        if isinstance(item, Exception):
            raise item
        buf = buffers[0]
        size = min(len(item), len(buf))
        buf[:size] = item[:size]
        return size, [], socket.MSG_TRUNC if len(item) > len(buf) else 0, None

    def getsockopt(self, level, option):
        return self.rcvbuf

    def close(self):
        pass


def test_resolve_and_family_missing():
    sock = GenlSocket(sock=FakeSock(None))
    assert sock.family == FAMILY
    assert sock.window == 83  # the default 208 KiB receive buffer
    with pytest.raises(FamilyMissing) as err:
        GenlSocket(sock=FakeSock(None, family_error=errno.ENOENT))
    assert 'no generic netlink family "IPVS"' in err.value.msg
    assert err.value.details['op'] == 'CTRL_CMD_GETFAMILY IPVS'
    with pytest.raises(NetlinkError) as err:
        GenlSocket(sock=FakeSock(None, family_error=errno.EPERM))
    assert not isinstance(err.value, FamilyMissing)
    assert err.value.msg == ('IPVS netlink CTRL_CMD_GETFAMILY IPVS failed: '
                             'Operation not permitted (EPERM)')


def test_multipart_dump_skips_stale_replies():
    svcs = parse_save(LIVE).sorted_services()

    def kernel(sock, msgs):
        seq = msgs[0][2]
        assert msgs[0][1] == codec.NLM_F_REQUEST | codec.NLM_F_DUMP
        # A late reply of an earlier request, then two datagrams, the second ending in DONE.
        return [ack(seq - 1, errno.EEXIST), part(seq, service_payload(svcs[0])),
                part(seq, service_payload(svcs[1])) + done(seq)]
    nl = GenlSocket(sock=FakeSock(kernel))
    payloads = nl.dump(codec.IPVS_CMD_GET_SERVICE)
    assert len(payloads) == 2
    for payload, svc in zip(payloads, svcs):
        back = codec.parse_service(payload)
        assert back.key == svc.key and back.attrs() == svc.attrs()


def test_interrupted_dump_is_retried_then_fails():
    calls = []

    def kernel(sock, msgs):
        seq = msgs[0][2]
        calls.append(seq)
        flags = codec.NLM_F_MULTI | (codec.NLM_F_DUMP_INTR if len(calls) < 3 else 0)
        return [part(seq, service_payload(parse_save(LIVE).sorted_services()[0]), flags) + done(seq)]
    nl = GenlSocket(sock=FakeSock(kernel))
    assert len(nl.dump(codec.IPVS_CMD_GET_SERVICE)) == 1 and len(calls) == 3
    del calls[:]
    with pytest.raises(NetlinkError, match='kept changing'):
        nl.dump(codec.IPVS_CMD_GET_SERVICE, retries=2)


def test_stream_hands_over_each_payload_as_it_arrives():
    svcs = parse_save(LIVE).sorted_services()
    sock = FakeSock(lambda sock, msgs: [
        ack(msgs[0][2] - 1, errno.EEXIST), part(msgs[0][2], service_payload(svcs[0])),
        part(msgs[0][2], service_payload(svcs[1])) + done(msgs[0][2])])
    nl = GenlSocket(sock=sock)
    stream = nl.stream(codec.IPVS_CMD_GET_SERVICE)
    assert codec.parse_service(next(stream)).key == svcs[0].key
    # The second datagram is not read before the first payload is used.
    assert len(sock.queue) == 1
    assert [codec.parse_service(p).key for p in stream] == [svcs[1].key]


def test_stream_closed_early_reads_the_rest_of_the_dump():
    svc = parse_save(LIVE).sorted_services()[0]
    sock = FakeSock(lambda sock, msgs: [part(msgs[0][2], service_payload(svc))] * 3
                    + [done(msgs[0][2])])
    nl = GenlSocket(sock=sock)
    stream = nl.stream(codec.IPVS_CMD_GET_SERVICE)
    next(stream)
    stream.close()
    # Nothing of that dump is left to meet the next request.
    assert sock.queue == []


def test_stream_interrupted_reads_to_the_end_then_raises():
    svc = parse_save(LIVE).sorted_services()[0]
    sock = FakeSock(lambda sock, msgs: [
        part(msgs[0][2], service_payload(svc)),
        part(msgs[0][2], service_payload(svc), codec.NLM_F_MULTI | codec.NLM_F_DUMP_INTR),
        part(msgs[0][2], service_payload(svc)) + done(msgs[0][2])])
    nl = GenlSocket(sock=sock)
    got = []
    with pytest.raises(DumpInterrupted) as err:
        for payload in nl.stream(codec.IPVS_CMD_GET_SERVICE):
            got.append(payload)
    assert len(got) == 1 and sock.queue == []
    assert 'GET_SERVICE dump' in err.value.msg and 'changed while it was read' in err.value.msg


def test_read_table_starts_again_after_an_interrupted_stream():
    class Changing(FakeNetlink):
        interrupted = 0

        def stream(self, cmd, attrs=b''):
            if cmd == codec.IPVS_CMD_GET_SERVICE and self.interrupted < self.times:
                self.interrupted += 1
                return self._interrupted(cmd, attrs)
            return FakeNetlink.stream(self, cmd, attrs)

        def _interrupted(self, cmd, attrs):
            for payload in FakeNetlink.stream(self, cmd, attrs):
                yield payload
                raise DumpInterrupted('GET_SERVICE dump', why='the table changed while it was read')

    fake = Changing(parse_save(LIVE))
    fake.times = 2
    assert NetlinkRunner(fake, fake.proc).read_table() == parse_save(LIVE)
    assert fake.interrupted == 2 and fake.proc_reads == 3
    fake = Changing(parse_save(LIVE))
    fake.times = 3
    with pytest.raises(NetlinkError, match='kept changing while it was read'):
        NetlinkRunner(fake, fake.proc).read_table()


@pytest.mark.parametrize('reply, message', [
    (lambda seq: [ack(seq, errno.EPERM)], 'IPVS netlink GET_SERVICE dump failed: Operation not permitted (EPERM)'),
    (lambda seq: [done(seq, errno.EINVAL)], 'IPVS netlink GET_SERVICE dump failed: Invalid argument (EINVAL)'),
    (lambda seq: [OSError(errno.ENOBUFS, 'x')], 'receive buffer overflow, replies were lost'),
    (lambda seq: [], 'no reply from the kernel'),
    (lambda seq: [codec.nlmsg(codec.NLMSG_OVERRUN, 0, seq, b'')], 'netlink overrun'),
])
def test_dump_errors_name_the_operation_and_errno(reply, message):
    nl = GenlSocket(sock=FakeSock(lambda sock, msgs: reply(msgs[0][2])))
    with pytest.raises(NetlinkError) as err:
        nl.dump(codec.IPVS_CMD_GET_SERVICE)
    assert message in err.value.msg


def test_truncated_datagram_and_malformed_reply_are_failures():
    nl = GenlSocket(sock=FakeSock(lambda sock, msgs: [part(msgs[0][2], b'\0' * (2 << 20))]))
    with pytest.raises(codec.MalformedReply, match='truncated by the receive buffer'):
        nl.dump(codec.IPVS_CMD_GET_SERVICE)
    nl = GenlSocket(sock=FakeSock(lambda sock, msgs: [part(msgs[0][2], b'\1\1\0\0')[:-2]]))
    with pytest.raises(codec.MalformedReply):
        nl.dump(codec.IPVS_CMD_GET_SERVICE)


def test_request_returns_the_reply_before_the_ack():
    def kernel(sock, msgs):
        seq = msgs[0][2]
        assert msgs[0][1] == codec.NLM_F_REQUEST | codec.NLM_F_ACK
        return [part(seq, b'\x0d\x01\0\0' + codec.nla_u32(4, 900) + codec.nla_u32(5, 120)
                     + codec.nla_u32(6, 300), 0), ack(seq)]
    nl = GenlSocket(sock=FakeSock(kernel))
    assert codec.parse_timeouts(nl.request(codec.IPVS_CMD_GET_CONFIG)[0])['tcp'] == 900


def test_batch_windows_acks_and_stops_after_a_failing_window():
    seen = []

    def kernel(sock, msgs):
        # As netlink_rcv_skb: an answer for a request that asks for an
        # acknowledgement, and for every refused one.
        out = []
        for number, (_kind, flags, seq, payload) in enumerate(msgs, 1):
            want = codec.NLM_F_REQUEST | (codec.NLM_F_ACK if number == len(msgs) else 0)
            assert flags == want
            seen.append(payload[0])
            err = errno.EEXIST if len(seen) in (10, 12) else 0
            if err or flags & codec.NLM_F_ACK:
                out.append(ack(seq, err))
        return out
    sock = FakeSock(kernel, rcvbuf=8 * 1280 * 2)
    nl = GenlSocket(sock=sock)
    assert nl.window == 8
    requests = [(codec.IPVS_CMD_NEW_SERVICE, b'')] * 30
    failures, not_sent = nl.batch(requests)
    # Two windows of 8 were sent; the second had the failures; 14 never left.
    assert failures == [(9, errno.EEXIST, None), (11, errno.EEXIST, None)]
    assert not_sent == 14 and len(seen) == 16
    assert len(sock.sent) == 1 + 2  # the family lookup, then one send per window
    assert nl.batch([]) == ([], 0)


def test_batch_lost_ack_is_an_error():
    nl = GenlSocket(sock=FakeSock(lambda sock, msgs: [ack(m[2]) for m in msgs[:-1]]))
    with pytest.raises(NetlinkError, match='no reply from the kernel'):
        nl.batch([(codec.IPVS_CMD_FLUSH, b'')] * 3)


def test_batch_the_last_request_refused_ends_its_window():
    def kernel(sock, msgs):
        return [ack(msgs[-1][2], errno.ENOENT)]
    nl = GenlSocket(sock=FakeSock(kernel))
    assert nl.batch([(codec.IPVS_CMD_DEL_SERVICE, b'')] * 3) == ([(2, errno.ENOENT, None)], 0)


def test_batch_a_stray_message_is_malformed():
    def kernel(sock, msgs):
        return [part(msgs[0][2], b'\x01\x01\0\0')]
    nl = GenlSocket(sock=FakeSock(kernel))
    with pytest.raises(codec.MalformedReply, match='where an acknowledgement of request 1'):
        nl.batch([(codec.IPVS_CMD_FLUSH, b'')] * 2)


def test_errno_text():
    assert errno_text(errno.ENOENT) == 'No such file or directory (ENOENT)'


# --------------------------------------------------------------------- NetlinkRunner


def declared(text):
    return parse_save(text)


def test_noop_reads_and_sends_nothing():
    fake = FakeNetlink(parse_save(LIVE))
    result = converge(NetlinkRunner(fake), declared(LIVE), timeouts={'tcp': 900})
    assert result['changed'] is False and fake.batches == []
    assert fake.dumps.count(codec.IPVS_CMD_GET_SERVICE) == 1


def test_netlink_and_ipvsadm_backends_give_the_same_results():
    want = table_from_spec([
        {'address': '10.0.0.10', 'port': 80, 'scheduler': 'rr',
         'realservers': [{'address': '10.0.0.11', 'weight': 2}, {'address': '10.0.0.13'}]},
        {'fwmark': 7, 'family': 'inet6', 'scheduler': 'sh', 'scheduler_flags': ['sh-port'],
         'persistence_timeout': 60, 'persistence_netmask': '64',
         'realservers': [{'address': '2001:db8::2', 'forward': 'tun', 'tun_type': 'gue',
                          'tun_port': 6080, 'tun_csum': 'csum'}]},
        {'protocol': 'udp', 'address': '2001:db8::1', 'port': 53, 'one_packet': True,
         'realservers': [{'address': '2001:db8::3', 'port': 5353, 'forward': 'nat'}]},
    ])
    results = {}
    for name, runner, kernel in (('ipvsadm', None, FakeIpvsadm()), ('netlink', None, FakeNetlink(parse_save(LIVE)))):
        runner = Runner(kernel) if name == 'ipvsadm' else NetlinkRunner(kernel)
        results[name] = converge(runner, want, timeouts={'udp': 60}, want_diff=True, want_save=True)
        assert kernel.sim.table == want and kernel.sim.timeouts['udp'] == 60
        again = converge(runner, want, timeouts={'udp': 60})
        assert again['changed'] is False
    assert results['netlink'] == results['ipvsadm']
    assert results['netlink']['commands'][-1] == '--set 0 0 60'


def test_one_weight_change_is_one_request():
    fake = FakeNetlink(parse_save(LIVE))
    want = declared(LIVE.replace('10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 3'))
    result = converge(NetlinkRunner(fake), want)
    assert result['commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 3']
    assert [len(b) for b in fake.batches] == [1]
    assert fake.batches[0][0][0] == codec.IPVS_CMD_SET_DEST


def test_failed_batch_names_the_command_and_errno_and_is_restored():
    fake = FakeNetlink(parse_save(LIVE), fail=lambda line, n: n == 1 and '10.0.0.13' in line)
    original = fake.sim.table.copy()
    want = declared(LIVE.replace('-A -t 10.0.0.20:443 -s rr', '-A -t 10.0.0.20:443 -s wlc')
                    + '-a -t 10.0.0.10:80 -r 10.0.0.13:80 -g -w 1\n'
                    + '-A -t 10.0.0.30:80 -s wlc\n-a -t 10.0.0.30:80 -r 10.0.0.31:80 -g -w 2\n')
    with pytest.raises(IpvsError) as err:
        converge(NetlinkRunner(fake), want)
    res = err.value.to_result()
    assert res['cmd'] == 'IPVS netlink batch' and res['rc'] == 1
    assert res['msg'].startswith('IPVS netlink batch failed: -a -t 10.0.0.10:80 -r 10.0.0.13:80 -g -w 1: '
                                 'Cannot allocate memory (ENOMEM)')
    assert res['msg'].endswith('the table read before the run was restored')
    assert res['restore']['status'] == 'restored'
    assert fake.sim.table == original
    # The window with the failure ran to its end; nothing after it was sent.
    assert 'not sent' in res['stderr'] or len(res['commands']) <= fake.window


def test_restore_by_flush_and_unchanged():
    fake = FakeNetlink(parse_save(LIVE), fail=lambda line, n: n in (1, 2) and line.startswith('-D'))
    original = fake.sim.table.copy()
    with pytest.raises(IpvsError) as err:
        converge(NetlinkRunner(fake), declared('-A -t 10.0.0.10:80 -s rr\n-A -t 10.0.0.40:80 -s wlc\n'))
    assert err.value.details['restore']['status'] == 'restored_by_flush'
    assert fake.sim.table == original
    fake = FakeNetlink(parse_save(LIVE), fail=lambda line, n: True)
    with pytest.raises(IpvsError) as err:
        converge(NetlinkRunner(fake), Table())
    assert err.value.details['restore']['status'] == 'unchanged'


def test_transport_failure_mid_batch_is_a_failed_batch():
    class Broken(FakeNetlink):
        def batch(self, requests):
            if not self.batches:
                self.batches.append(requests)
                self.sim.run('-D -t 10.0.0.20:443')
                raise NetlinkError('batch of requests 1-2', errno.ENOBUFS, why='receive buffer overflow')
            return FakeNetlink.batch(self, requests)
    fake = Broken(parse_save(LIVE))
    original = fake.sim.table.copy()
    with pytest.raises(IpvsError) as err:
        converge(NetlinkRunner(fake), Table())
    assert 'receive buffer overflow' in err.value.msg
    assert err.value.details['restore']['status'] == 'restored' and fake.sim.table == original


def test_thresholds_only_when_declared():
    table = parse_save(LIVE)
    table.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)].upper_threshold = 9
    fake = FakeNetlink(table)
    runner = NetlinkRunner(fake)
    # Not declared: not managed (invisible, as with ipvsadm -Sn).
    assert converge(runner, declared(LIVE))['changed'] is False
    assert runner.read_table(thresholds=True) == table


def test_restore_file_is_rendered_from_data_in_ipvsadm_form():
    fake = FakeNetlink(parse_save(LIVE))
    runner = NetlinkRunner(fake)
    want = declared(LIVE.replace('10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 3 -x 5'))
    result = converge(runner, want, want_save=True)
    assert result['restore_file'] == {'content': restore_file(want.render(thresholds=False)),
                                      'predicted': False}
    assert converge(runner, want, want_save=True)['restore_file']['content'] == \
        restore_file(want.render(thresholds=False))


def test_read_info_has_the_ipvsadm_shape():
    fake = FakeNetlink(parse_save(LIVE))
    fake.daemons = [b'\0\1\0\0' + codec.nla_nested(codec.IPVS_CMD_ATTR_DAEMON, [
        codec.nla_u32(1, 2), codec.nla_str(2, 'eth1'), codec.nla_u32(3, 9)])]
    info = NetlinkRunner(fake).read_info(stats=True, rates=False, thresholds=True)
    assert info['loaded'] and info['version'] == '1.2.1' and info['size'] == 4096
    assert info['timeouts'] == {'tcp': 900, 'tcpfin': 120, 'udp': 300}
    assert info['daemons'] == [{'state': 'backup', 'mcast_interface': 'eth1', 'syncid': 9}]
    svc = info['services'][0]
    assert [s['address'] for s in info['services']] == ['10.0.0.10', '10.0.0.20']
    assert svc['active_conns'] == 4 and svc['inactive_conns'] == 6
    assert set(svc) == {'protocol', 'address', 'port', 'fwmark', 'family', 'scheduler',
                        'scheduler_flags', 'persistence_timeout', 'persistence_netmask',
                        'persistence_engine', 'one_packet', 'realservers', 'stats',
                        'active_conns', 'inactive_conns'}
    assert svc['realservers'][0] == {
        'address': '10.0.0.11', 'port': 80, 'forward': 'dr', 'weight': 1, 'active_conns': 2,
        'inactive_conns': 3, 'upper_threshold': 0, 'lower_threshold': 0,
        'stats': {'conns': 7, 'inpkts': 14, 'outpkts': 21, 'inbytes': 28, 'outbytes': 35}}


def test_malformed_dump_fails_the_read():
    class Bad(FakeNetlink):
        def dump(self, cmd, attrs=b''):
            if cmd == codec.IPVS_CMD_GET_DEST:
                return [dest_payload(parse_save(LIVE).sorted_services()[0].sorted_realservers()[0])[:-6]]
            return FakeNetlink.dump(self, cmd, attrs)
    with pytest.raises(codec.MalformedReply):
        converge(NetlinkRunner(Bad(parse_save(LIVE))), declared(LIVE))


def test_select_backend():
    def missing():
        raise FamilyMissing('CTRL_CMD_GETFAMILY IPVS', errno.ENOENT, why='no family')

    runner, why = select_backend('auto', FakeIpvsadm(), lambda: '/sbin/ipvsadm', missing)
    assert isinstance(runner, Runner) and runner.ipvsadm == '/sbin/ipvsadm' and 'no family' in why
    fake = FakeNetlink()
    runner, why = select_backend('auto', None, lambda: None, lambda: NetlinkRunner(fake))
    assert isinstance(runner, NetlinkRunner) and why is None
    runner, why = select_backend('ipvsadm', FakeIpvsadm(), lambda: 'ipvsadm', missing)
    assert runner.backend == 'ipvsadm' and why is None
    with pytest.raises(FamilyMissing):
        select_backend('netlink', None, lambda: 'ipvsadm', missing)
    with pytest.raises(IpvsError) as err:
        select_backend('auto', None, lambda: None, missing)
    assert err.value.msg == ('IPVS is not reachable: IPVS netlink CTRL_CMD_GETFAMILY IPVS failed: '
                             'no family; and the fallback, ipvsadm, is not installed')
    with pytest.raises(IpvsError, match='not one of'):
        select_backend('kernel', None, lambda: None, missing)


def test_save_text_names_the_default_tunnel_type_like_ipvsadm():
    table = parse_save('-A -t 10.0.0.10:80 -s wlc\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -i -w 1 -x 5\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.12:80 -i -w 1 --tun-type gre --tun-csum\n')
    runner = NetlinkRunner(FakeNetlink(table))
    assert runner.read_save() == ('-A -t 10.0.0.10:80 -s wlc\n'
                                  '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -i -w 1 --tun-type ipip\n'
                                  '-a -t 10.0.0.10:80 -r 10.0.0.12:80 -i -w 1 --tun-type gre --tun-csum\n')
    assert parse_save(runner.last_save) == parse_save(table.render(thresholds=False))


@pytest.mark.parametrize('text', [
    '',
    LIVE,
    '-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -i -w 1\n'
    '-a -t 10.0.0.10:80 -r 10.0.0.12:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum\n'
    '-A -t 10.0.0.1:8080 -s rr\n-A -t 10.0.0.1:80 -s rr -p 60\n'
    '-A -f 5 -s sh -b sh-port\n-A -f 5 -6 -s wrr\n-a -f 5 -6 -r [2001:db8::2]:0 -m -w 0 -x 9\n'
    '-A -u [2001:db8::1]:53 -s mh -o --pe sip\n-a -u [2001:db8::1]:53 -r [2001:db8::3]:53 -g -w 4\n',
])
def test_restore_text_is_the_restore_file_of_the_save_text(text):
    # One sort of rendered lines gives byte for byte the file the -Sn text gives.
    table = parse_save(text)
    assert restore_text(table) == restore_file(save_text(table))
