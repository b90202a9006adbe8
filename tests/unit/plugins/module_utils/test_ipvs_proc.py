# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""/proc/net/ip_vs as the netlink backend's shortcut to every service's real servers."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_proc
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink_codec import MalformedReply
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import RealServer, Service, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import (
    NetlinkRunner, converge,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_netlink_sim import (
    FakeNetlink, proc_text,
)

HEADER = ('IP Virtual Server version 1.2.1 (size=4096)\n'
          'Prot LocalAddress:Port Scheduler Flags\n'
          '  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n')

# Copied from a 6.1 kernel in the lab, with one line of each kind.
REAL = HEADER + (
    'TCP  0A00000A:0050 wlc persistent 300 FFFFFF00\n'
    '  -> 0A000016:0050      Masq    3      0          0         \n'
    '  -> 0A000015:0050      Route   1      2          7         \n'
    'UDP  0A00000A:0035 rr ops \n'
    '  -> 0A000001:0035      Local   1      0          0         \n'
    'TCP  [2001:0db8:0000:0000:0000:0000:0000:000a]:01BB sh \n'
    '  -> [2001:0db8:0000:0000:0000:0000:0000:0015]:01BB      Tunnel  0      0          0         \n'
    'FWM  00000007 lc \n'
    '  -> 0A000017:0000      Route   65535  0          0         \n')

TABLE = '''-A -t 10.0.0.10:80 -s wlc -p 300 -M 255.255.255.0
-a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1
-a -t 10.0.0.10:80 -r 10.0.0.22:80 -m -w 3
-A -u 10.0.0.10:53 -s rr -o
-a -u 10.0.0.10:53 -r 10.0.0.31:53 -g -w 2
-A -t [2001:db8::a]:443 -s sh -b sh-port
-a -t [2001:db8::a]:443 -r [2001:db8::15]:443 -m -w 0
-a -t [2001:db8::a]:443 -r 10.0.0.40:443 -g -w 1
-A -f 7 -s lc
-a -f 7 -r 10.0.0.23:0 -g -w 65535
-A -f 8 -6 -s rr
-a -f 8 -6 -r [2001:db8::16]:0 -g -w 4
-A -t 10.0.0.11:80 -s wlc
-a -t 10.0.0.11:80 -r 10.0.0.50:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-A -t 10.0.0.12:80 -s wlc
'''


def test_parse_a_real_listing():
    got, partial = _ipvs_proc.parse(REAL)
    assert partial == {('tcp', '2001:db8::a', 443)}
    assert list(got) == [('tcp', '10.0.0.10', 80), ('udp', '10.0.0.10', 53),
                         ('tcp', '2001:db8::a', 443), ('fwm', 7)]
    assert [(k, rs.address, rs.port, rs.forward, rs.weight)
            for k, rs in got[('tcp', '10.0.0.10', 80)].items()] \
        == [(('10.0.0.22', 80), '10.0.0.22', 80, 'nat', 3),
            (('10.0.0.21', 80), '10.0.0.21', 80, 'dr', 1)]
    # A local destination reads as dr, as ipvsadm -Sn shows it.
    assert got[('udp', '10.0.0.10', 53)][('10.0.0.1', 53)].forward == 'dr'
    tun = got[('tcp', '2001:db8::a', 443)][('2001:db8::15', 443)]
    assert (tun.forward, tun.weight) == ('tun', 0)
    assert got[('fwm', 7)][('10.0.0.23', 0)].weight == 65535
    assert all(rs.upper_threshold == rs.lower_threshold == 0
               for servers in got.values() for rs in servers.values())


def test_the_renderer_of_the_tests_matches_the_kernel():
    table = parse_save('-A -t 10.0.0.10:80 -s wlc -p 300 -M 255.255.255.0\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.22:80 -m -w 3\n')
    lines = proc_text(table).splitlines()
    assert [line.rstrip() for line in lines[3:]] == [
        'TCP  0A00000A:0050 wlc persistent 300 FFFFFFFF',
        '  -> 0A000016:0050      Masq    3      2          3',
        '  -> 0A000015:0050      Route   1      2          3']


def test_fwmark_of_both_families_is_ambiguous():
    text = HEADER + 'FWM  00000001 wlc \n  -> 0A000001:0000      Route   1      0          0\n' \
        'FWM  00000001 rr \n  -> [2001:0db8:0000:0000:0000:0000:0000:0001]:0000      Route   1  0  0\n'
    got, partial = _ipvs_proc.parse(text)
    assert list(got) == [('fwm', 1)] and partial == {('fwm', 1)}


@pytest.mark.parametrize('text, where', [
    ('', 'header'),
    ('IP Virtual Server version 1.2.1 (size=4096)\nProt\n', 'header'),
    (HEADER + '  -> 0A000001:0050      Route   1      0          0\n', 'line 4'),
    (HEADER + 'TCP  0A00000A:0050 wlc\n  -> 0A0001:0050      Route   1      0          0\n', 'line 5'),
    (HEADER + 'TCP  0A00000A:0050 wlc\n  -> 0A000001:0050      Bounce  1      0          0\n', 'line 5'),
    (HEADER + 'TCP  0A00000A:0050 wlc\n  -> 0A000001:0050      Route\n', 'line 5'),
    (HEADER + 'TCP  0A00000A:0050 wlc\n  -> 0A000001:0050      Route   x      0          0\n', 'line 5'),
    (HEADER + 'ICMP  0A00000A:0050 wlc\n', 'line 4'),
    (HEADER + 'TCP  0A00000A:0050\n', 'line 4'),
    (HEADER + 'TCP  [2001:db8:::1]:0050 wlc\n', 'line 4'),
    (HEADER + 'FWM  0000000Z wlc\n', 'line 4'),
    (HEADER + '\n', 'line 4'),
])
def test_malformed_listing_is_an_error_not_a_shorter_table(text, where):
    with pytest.raises(MalformedReply) as err:
        _ipvs_proc.parse(text)
    assert '/proc/net/ip_vs' in err.value.msg and where in err.value.msg


def test_read_table_takes_real_servers_from_the_file_and_dumps_only_the_rest():
    fake = FakeNetlink(parse_save(TABLE))
    fast = NetlinkRunner(fake, fake.proc)
    assert fast.read_table() == NetlinkRunner(FakeNetlink(parse_save(TABLE))).read_table()
    assert fast.read_table() == parse_save(TABLE)
    dumped = fake.dumps.count(codec.IPVS_CMD_GET_DEST)
    # Per read only the service with a tunnel destination is dumped: the file
    # does not show its tunnel type and port.
    assert dumped == 2, fake.dumps
    assert fake.proc_reads == 2


def test_thresholds_are_read_over_netlink():
    table = parse_save('-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1\n')
    table.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.21', 80)].upper_threshold = 9
    fake = FakeNetlink(table)
    got = NetlinkRunner(fake, fake.proc).read_table(thresholds=True)
    assert got.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.21', 80)].upper_threshold == 9
    assert fake.proc_reads == 0 and fake.dumps.count(codec.IPVS_CMD_GET_DEST) == 1


def _missing():
    raise OSError(2, 'No such file')


@pytest.mark.parametrize('broken', [
    lambda: 'garbage\n', _missing, lambda: b'\xff'.decode('ascii')])
def test_an_unreadable_file_falls_back_to_netlink(broken):
    fake = FakeNetlink(parse_save(TABLE))
    assert NetlinkRunner(fake, broken).read_table() == parse_save(TABLE)
    assert fake.dumps.count(codec.IPVS_CMD_GET_DEST) == len(parse_save(TABLE))


def test_a_service_missing_from_the_file_is_dumped():
    fake = FakeNetlink(parse_save(TABLE))
    stale = proc_text(parse_save('-A -t 10.0.0.10:80 -s wlc\n'
                                 '-a -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 1\n'
                                 '-a -t 10.0.0.10:80 -r 10.0.0.22:80 -m -w 3\n'))
    got = NetlinkRunner(fake, lambda: stale).read_table()
    assert got == parse_save(TABLE)
    assert fake.dumps.count(codec.IPVS_CMD_GET_DEST) == len(parse_save(TABLE)) - 1


def test_converge_with_the_file_is_the_same_delta_and_one_command_for_one_weight():
    live = parse_save(TABLE)
    want = parse_save(TABLE)
    want.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.21', 80)].weight = 5
    fake = FakeNetlink(live)
    result = converge(NetlinkRunner(fake, fake.proc), want)
    assert result['commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 5']
    assert fake.lines == result['commands']
    again = converge(NetlinkRunner(fake, fake.proc), want)
    assert not again['changed'] and len(fake.batches) == 1


# ---------------------------------------------------------------- a reference table

def _meaning(listed):
    """What a parse says, without which objects say it."""
    return dict((ident, dict((key, (rs.address, rs.port) + rs.attrs()) for key, rs in servers.items()))
                for ident, servers in listed.items())


def _variants():
    """References against the TABLE listing: equal, and each kind of difference."""
    def edit(fn):
        table = parse_save(TABLE)
        fn(table)
        return table
    web = ('tcp', '10.0.0.10', 80)
    dns = ('udp', '10.0.0.10', 53)

    def rs(table, svc, key):
        return table.services[svc].realservers[key]
    return [
        ('equal', parse_save(TABLE)),
        ('weight', edit(lambda t: setattr(rs(t, web, ('10.0.0.21', 80)), 'weight', 2))),
        ('forward', edit(lambda t: setattr(rs(t, web, ('10.0.0.21', 80)), 'forward', 'nat'))),
        ('threshold', edit(lambda t: setattr(rs(t, web, ('10.0.0.21', 80)), 'upper_threshold', 9))),
        ('extra declared', edit(lambda t: t.services[web].realservers.update(
            {('10.0.0.29', 80): RealServer('10.0.0.29', 80)}))),
        ('fewer declared', edit(lambda t: t.services[web].realservers.pop(('10.0.0.22', 80)))),
        ('port', edit(lambda t: t.services[dns].realservers.update(
            {('10.0.0.31', 53): RealServer('10.0.0.31', 54, 2)}))),
        ('no such service', edit(lambda t: t.services.pop(web))),
        ('weight of seven digits', edit(lambda t: setattr(rs(t, web, ('10.0.0.21', 80)), 'weight', 1000000))),
        ('empty', Table()),
    ]


@pytest.mark.parametrize('name, reference', _variants(), ids=[v[0] for v in _variants()])
@pytest.mark.parametrize('local', [(), ('10.0.0.21',)], ids=['route', 'local'])
def test_a_reference_changes_what_is_built_never_what_is_read(name, reference, local):
    live = parse_save(TABLE)
    if name == 'weight of seven digits':
        rs = live.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.21', 80)]
        rs.weight = 1000001  # agrees with the reference in the first six digits only
    text = proc_text(live, local=local)
    plain = _ipvs_proc.parse(text)
    got = _ipvs_proc.parse(text, reference)
    assert _meaning(got[0]) == _meaning(plain[0]) and got[1] == plain[1]
    # Shared exactly where the reference's service has the same real servers
    # as the file shows (a local one reads as dr), unless the file cannot show
    # all of them (a tunnel).
    for ident, servers in got[0].items():
        ref = reference.services.get(ident)
        same = (ref is not None and ident not in got[1]
                and _meaning({0: ref.realservers}) == _meaning({0: plain[0][ident]}))
        assert (servers is (ref.realservers if ref is not None else None)) == same, ident


def test_every_equal_service_of_a_large_listing_is_shared():
    live = Table()
    for i in range(300):
        svc = Service('tcp', '10.1.%d.%d' % (i // 200, i % 200), 80 + i % 3, scheduler='wlc')
        for j in range(4):
            rs = RealServer('172.16.%d.%d' % (i // 50, (i * 4 + j) % 250), 80, weight=j * 300,
                            forward='nat' if j % 2 else 'dr')
            svc.realservers[rs.key] = rs
        live.services[svc.key] = svc
    listed, partial = _ipvs_proc.parse(proc_text(live), live)
    assert not partial
    assert all(listed[key] is svc.realservers for key, svc in live.services.items())


def test_a_file_that_fails_half_way_is_read_over_netlink():
    fake = FakeNetlink(parse_save(TABLE))

    def half():
        lines = proc_text(parse_save(TABLE)).splitlines(True)
        yield from lines[:5]
        raise OSError(5, 'Input/output error')
    assert NetlinkRunner(fake, half).read_table() == parse_save(TABLE)
    assert fake.dumps.count(codec.IPVS_CMD_GET_DEST) == len(parse_save(TABLE))


def test_read_table_shares_the_declared_objects_only_where_equal():
    declared = parse_save(TABLE)
    declared.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.21', 80)].weight = 5
    declared.services[('udp', '10.0.0.10', 53)].scheduler = 'wlc'
    before = declared.copy()
    fake = FakeNetlink(parse_save(TABLE))
    runner = NetlinkRunner(fake, fake.proc)
    live = runner.read_table(reference=declared)
    assert live == parse_save(TABLE) == NetlinkRunner(fake, fake.proc).read_table()
    for key, svc in live.services.items():
        assert (svc is declared.services[key]) == (svc == declared.services[key]), key
    # Equal ones, the tunnel service (read over netlink) included, are shared;
    # the two that differ are not, and nothing of the declared table changed.
    assert sum(svc is declared.services[key] for key, svc in live.services.items()) == \
        len(live) - 2
    assert declared == before
    result = converge(runner, declared)
    assert result['commands'] == ['-E -u 10.0.0.10:53 -s wlc -o',
                                  '-e -t 10.0.0.10:80 -r 10.0.0.21:80 -g -w 5']
    assert declared == before
