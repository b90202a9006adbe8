# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_listing import (
    build_info, ipvs_not_loaded, merge_thresholds, not_loaded_info, parse_daemon,
    parse_list, parse_rates, parse_stats, parse_thresholds,
)

# Built with the printf formats of ipvsadm 1.31 print_title/print_service_entry.
HEAD = ('IP Virtual Server version 1.2.1 (size=4096)\n'
        'Prot LocalAddress:Port Scheduler Flags\n'
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n')


def rs_line(name, fwd, weight, active, inact):
    return '  -> %-28s %-7s %-6d %-10u %-10u\n' % (name, fwd, weight, active, inact)


LIST = (HEAD
        + 'TCP  10.0.0.10:80 wlc persistent 300 mask 255.255.255.0\n'
        + rs_line('10.0.0.11:80', 'Route', 1, 3, 7)
        + rs_line('10.0.0.12:80', 'Tunnel', 2, 0, 1)
        + 'UDP  10.0.0.10:53 sh (sh-fallback,sh-port) ops\n'
        + rs_line('192.168.1.5:5353', 'Masq', 0, 0, 0)
        + 'TCP  [2001:db8::10]:443 rr persistent 60 mask 64 pe sip\n'
        + rs_line('[2001:db8::11]:443', 'Local', 1, 1, 0)
        + 'FWM  42 rr\n'
        + 'FWM  42 IPv6 wrr\n'
        + rs_line('[2001:db8::21]:0', 'Route', 4, 0, 0))


def num(value, exact=True):
    if exact:
        text = '%d' % value
        return '%*d' % (9 if len(text) <= 8 else len(text) + 1, value)
    return '%9d' % value if value < 100000000 else '%8dK' % (value // 1000)


def stat_line(name, values, rs=False, exact=True):
    head = '  -> %-28s' % name if rs else '%-33s' % name
    return head + ''.join(num(v, exact) for v in values) + '\n'


STATS_HEAD = ('IP Virtual Server version 1.2.1 (size=4096)\n'
              '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n'
              % ('Prot LocalAddress:Port', 'Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'))
STATS = (STATS_HEAD
         + stat_line('TCP  10.0.0.10:80', [10, 120, 0, 9000, 0])
         + stat_line('10.0.0.11:80', [6, 100, 0, 123456789012, 0], rs=True)
         + stat_line('10.0.0.12:80', [4, 20, 0, 1000, 0], rs=True)
         + stat_line('FWM  42 IPv6', [1, 2, 3, 4, 5])
         + stat_line('[2001:db8::21]:0', [1, 2, 3, 4, 5], rs=True))


def test_parse_list():
    info = parse_list(LIST)
    assert (info['version'], info['size']) == ('1.2.1', 4096)
    svcs = info['services']
    assert len(svcs) == 5
    tcp = svcs[0]
    assert (tcp['protocol'], tcp['address'], tcp['port'], tcp['scheduler']) == \
        ('tcp', '10.0.0.10', 80, 'wlc')
    assert tcp['persistence_timeout'] == 300
    assert tcp['persistence_netmask'] == '255.255.255.0'
    assert tcp['realservers'][0] == {'address': '10.0.0.11', 'port': 80, 'forward': 'dr',
                                     'weight': 1, 'active_conns': 3, 'inactive_conns': 7}
    assert tcp['realservers'][1]['forward'] == 'tun'
    udp = svcs[1]
    assert udp['scheduler_flags'] == ['sh-fallback', 'sh-port'] and udp['one_packet']
    assert udp['realservers'][0]['forward'] == 'nat'
    v6 = svcs[2]
    assert (v6['family'], v6['persistence_netmask'], v6['persistence_engine']) == \
        ('inet6', '64', 'sip')
    assert v6['realservers'][0]['forward'] == 'local'
    assert svcs[3]['fwmark'] == 42 and svcs[3]['family'] == 'inet' and not svcs[3]['realservers']
    assert svcs[4]['family'] == 'inet6' and svcs[4]['scheduler'] == 'wrr'
    assert svcs[4]['realservers'][0]['address'] == '2001:db8::21'


def test_parse_empty_list():
    assert parse_list(HEAD)['services'] == []


def test_parse_stats_exact_and_rounded():
    stats = parse_stats(STATS)
    own, per_rs = stats[('tcp', '10.0.0.10', 80)]
    assert own == {'conns': 10, 'inpkts': 120, 'outpkts': 0, 'inbytes': 9000, 'outbytes': 0}
    assert per_rs[('10.0.0.11', 80)]['inbytes'] == 123456789012
    assert stats[('fwm', 'inet6', 42)][1][('2001:db8::21', 0)]['outbytes'] == 5
    rounded = STATS_HEAD + stat_line('TCP  10.0.0.10:80', [1, 2, 3, 500000000, 0], exact=False)
    assert parse_stats(rounded)[('tcp', '10.0.0.10', 80)][0]['inbytes'] == 500000000


def test_parse_rates():
    text = STATS_HEAD.replace('Conns', 'CPS') + stat_line('UDP  10.0.0.10:53', [1, 2, 3, 4, 5])
    assert parse_rates(text)[('udp', '10.0.0.10', 53)][0] == \
        {'cps': 1, 'inpps': 2, 'outpps': 3, 'inbps': 4, 'outbps': 5}


def test_thresholds_listing_and_merge():
    text = ('IP Virtual Server version 1.2.1 (size=4096)\n'
            'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn\n'
            '  -> RemoteAddress:Port\n'
            'TCP  10.0.0.10:80 wlc\n'
            '  -> %-28s %-10u %-10u %-10u %-10u\n' % ('10.0.0.11:80', 100, 50, 0, 0))
    thresholds = parse_thresholds(text)
    assert thresholds == {('tcp', '10.0.0.10', 80): {('10.0.0.11', 80): (100, 50)}}
    table = parse_save('-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')
    merge_thresholds(table, thresholds)
    rs = table.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)]
    assert (rs.upper_threshold, rs.lower_threshold) == (100, 50)


def test_parse_daemon():
    text = ('master sync daemon (mcast=eth0, syncid=1, maxlen=1472, group=224.0.0.81, '
            'port=8848, ttl=1)\nbackup sync daemon (mcast=eth1, syncid=2)\n')
    assert parse_daemon(text) == [
        {'state': 'master', 'mcast_interface': 'eth0', 'syncid': 1, 'maxlen': 1472,
         'mcast_group': '224.0.0.81', 'mcast_port': 8848, 'mcast_ttl': 1},
        {'state': 'backup', 'mcast_interface': 'eth1', 'syncid': 2}]
    assert parse_daemon('') == []


def test_build_info_merges_everything():
    info = build_info(parse_list(LIST), stats=STATS,
                      timeouts='Timeout (tcp tcpfin udp): 900 120 300\n',
                      daemon='master sync daemon (mcast=eth0, syncid=1)\n')
    assert info['loaded'] is True
    tcp = info['services'][0]
    assert tcp['stats']['conns'] == 10 and tcp['active_conns'] == 3
    assert tcp['inactive_conns'] == 8
    assert tcp['realservers'][1]['stats']['conns'] == 4
    # In the listing, not in the later stats run: counters absent, not an error.
    assert info['services'][1]['stats'] is None
    assert info['services'][4]['realservers'][0]['stats']['inpkts'] == 2
    assert info['timeouts'] == {'tcp': 900, 'tcpfin': 120, 'udp': 300}
    assert info['daemons'][0]['state'] == 'master'
    assert 'rates' not in tcp


def test_not_loaded():
    err = ("modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.1\n"
           "Can't initialize ipvs: Protocol not available\n"
           "Are you sure that IP Virtual Server is built in the kernel or as module?\n")
    assert ipvs_not_loaded(err)
    assert not ipvs_not_loaded('Memory allocation problem')
    info = not_loaded_info(err)
    assert info['loaded'] is False and info['services'] == [] and 'ip_vs' in info['error']


def test_garbage_rs_line_rejected():
    with pytest.raises(IpvsError):
        parse_list(HEAD + rs_line('10.0.0.11:80', 'Route', 1, 0, 0))
