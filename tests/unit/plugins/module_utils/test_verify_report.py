# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/verify.yml's plan and report, from ipvs_info-shaped counter tables."""
from ansible_collections.lvs.cluster.plugins.module_utils._verify_report import counter_deltas, plan, report

DR = {'name': 'web-dr', 'vip': '10.0.0.10', 'port': 80, 'mode': 'dr', 'scheduler': 'rr',
      'realservers': [{'host': 'dr1'}, {'host': 'dr2'}]}
NAT = {'name': 'web-nat', 'vip': '10.0.0.30', 'port': 8080, 'mode': 'nat',
       'realservers': [{'host': 'nat1', 'port': 80}, {'host': 'nat2', 'port': 80, 'weight': 0}]}
ADDRESSES = {'dr1': '10.0.0.11/24', 'dr2': '10.0.0.12/24', 'nat1': '192.168.10.31/24', 'nat2': '192.168.10.32/24'}


def table(*services):
    return {'services': [
        {'protocol': 'tcp', 'address': vip, 'port': port, 'fwmark': None, 'stats': {'outpkts': out},
         'realservers': [{'address': a, 'port': p, 'stats': {'conns': c}} for a, p, c in rss]}
        for vip, port, out, rss in services]}


def test_plan_counts_weighted_real_servers_and_skips_udp_and_fwmark():
    services = [DR, NAT, {'name': 'dns', 'vip': '10.0.0.53', 'port': 53, 'protocol': 'udp', 'realservers': [{'host': 'a'}]},
                {'name': 'mark', 'fwmark': 1, 'realservers': [{'host': 'a'}]},
                {'name': 'v6', 'vip': '2001:db8::10', 'port': 80, 'realservers': [{'host': 'a'}]}]
    got = plan(services, 'tcp', {'web-nat': 'http'})
    assert [(p['name'], p['requests'], p['method']) for p in got] == [
        ('web-dr', 8, 'tcp'), ('web-nat', 4, 'http'), ('dns', 0, 'tcp'), ('mark', 0, 'tcp'), ('v6', 4, 'tcp')]
    assert got[4]['host'] == '[2001:db8::10]'
    assert [p['requests'] for p in plan([DR], requests='3')] == [3]


def test_report_counts_connections_per_real_server():
    before = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 5), ('10.0.0.12', 80, 5)]))]
    after = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 9), ('10.0.0.12', 80, 9)]))]
    got = report([DR], ADDRESSES, plan([DR]), before, after)
    assert got == [{'name': 'web-dr', 'line': 'web-dr 10.0.0.10:80/tcp dr: dr1 4/8, dr2 4/8', 'ok': True,
                    'answered': {'dr1': 4, 'dr2': 4}}]


def test_silent_weighted_real_server_fails_and_weight_zero_does_not():
    before = [table(('10.0.0.30', 8080, 0, [('192.168.10.31', 80, 0), ('192.168.10.32', 80, 0)]))]
    after = [table(('10.0.0.30', 8080, 40, [('192.168.10.31', 80, 4), ('192.168.10.32', 80, 0)]))]
    got = report([NAT], ADDRESSES, plan([NAT]), before, after)
    assert got[0]['ok'] is True  # nat2 has weight 0; NAT replies through the director are expected
    got = report([DR], ADDRESSES, plan([DR]),
                 [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 0)]))],
                 [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 8), ('10.0.0.12', 80, 0)]))])
    assert got[0]['ok'] is False and got[0]['line'].endswith('FAILED: never answered: dr2')


def test_dr_replies_through_the_director_fail():
    got = report([DR], ADDRESSES, plan([DR]),
                 [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 0)]))],
                 [table(('10.0.0.10', 80, 12, [('10.0.0.11', 80, 4), ('10.0.0.12', 80, 4)]))])
    assert 'replies went through the director (OutPkts +12)' in got[0]['line'] and not got[0]['ok']


def test_affinity_needs_one_answer_only():
    sticky = dict(DR, persistence_timeout=300)
    got = report([sticky], ADDRESSES, plan([sticky]),
                 [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 0)]))],
                 [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 8), ('10.0.0.12', 80, 0)]))])
    assert got[0]['ok'] is True


def test_two_directors_are_summed_and_ipv6_addresses_compare_canonically():
    v6 = {'name': 'v6', 'vip': '2001:DB8::10', 'port': 80, 'mode': 'dr', 'realservers': [{'host': 'a'}]}
    before = [table(('2001:db8::10', 80, 0, [('2001:db8::11', 80, 0)])), table(('2001:db8::10', 80, 0, [('2001:db8::11', 80, 0)]))]
    after = [table(('2001:db8::10', 80, 0, [('2001:db8::11', 80, 1)])), table(('2001:db8::10', 80, 0, [('2001:db8::11', 80, 3)]))]
    got = report([v6], {'a': '2001:0db8::11/64'}, plan([v6]), before, after)
    assert got[0]['answered'] == {'a': 4} and got[0]['line'].startswith('v6 [2001:DB8::10]:80/tcp dr: a 4/4')


def test_unprobed_services_are_reported_not_failed():
    udp = {'name': 'dns', 'vip': '10.0.0.53', 'port': 53, 'protocol': 'udp', 'mode': 'dr', 'realservers': [{'host': 'dr1'}]}
    got = report([udp], ADDRESSES, plan([udp]), [], [])
    assert got[0] == {'name': 'dns', 'line': 'dns 10.0.0.53:53/udp dr: not probed (udp)', 'ok': True, 'answered': {'dr1': 0}}


def test_counter_deltas_ignore_services_missing_before():
    outpkts, conns = counter_deltas([{'services': []}], [table(('10.0.0.10', 80, 3, [('10.0.0.11', 80, 2)]))])
    assert outpkts == {'tcp:10.0.0.10:80': 3} and conns == {'tcp:10.0.0.10:80>10.0.0.11:80': 2}


def test_paths_prove_the_real_server_persistence_never_picked():
    sticky = dict(DR, name='sticky', persistence_timeout=300)
    before = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 0)]))]
    after = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 8)]))]
    paths = {'lb2': [{'name': 'sticky', 'host': 'dr1', 'ok': True}, {'name': 'sticky', 'host': 'dr2', 'ok': True}],
             'lb1': [{'name': 'sticky', 'host': 'dr1', 'ok': True}, {'name': 'sticky', 'host': 'dr2', 'ok': True}]}
    got = report([sticky], ADDRESSES, plan([sticky]), before, after, paths)[0]
    assert got['ok'] and got['line'] == 'sticky 10.0.0.10:80/tcp dr: dr1 0/8, dr2 8/8; paths: dr1 ok, dr2 ok'
    # Without the paths the persistent service passes on one answer: the gap they close.
    assert report([sticky], ADDRESSES, plan([sticky]), before, after)[0]['ok']


def test_a_failed_path_fails_the_service_and_names_director_and_error():
    sticky = dict(DR, name='sticky', persistence_timeout=300)
    before = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 0)]))]
    after = [table(('10.0.0.10', 80, 0, [('10.0.0.11', 80, 0), ('10.0.0.12', 80, 8)]))]
    paths = {'lb1': [{'name': 'sticky', 'host': 'dr1', 'ok': False, 'error': 'no answer within 2 s'},
                     {'name': 'sticky', 'host': 'dr2', 'ok': True}],
             'lb2': [{'name': 'sticky', 'host': 'dr1', 'ok': True}]}
    got = report([sticky], ADDRESSES, plan([sticky]), before, after, paths)[0]
    assert not got['ok']
    assert got['line'] == ('sticky 10.0.0.10:80/tcp dr: dr1 0/8, dr2 8/8; paths: dr1 FAILED (lb1: no answer within 2 s), '
                           'dr2 ok - FAILED: forwarding path failed: dr1')


def test_paths_are_reported_for_services_the_probe_host_did_not_reach():
    udp = {'name': 'dns', 'vip': '10.0.0.53', 'port': 53, 'protocol': 'udp', 'mode': 'dr', 'realservers': [{'host': 'dr1'}]}
    got = report([udp], ADDRESSES, plan([udp]), [], [], {'lb1': [{'name': 'dns', 'host': 'dr1', 'ok': True}]})[0]
    assert got['line'] == 'dns 10.0.0.53:53/udp dr: not probed (udp); paths: dr1 ok'


def test_a_backup_skipping_a_nat_path_is_no_failure_but_nobody_reaching_it_is():
    nat = dict(NAT, realservers=[{'host': 'nat1', 'port': 80}])
    before = [table(('10.0.0.30', 8080, 0, [('192.168.10.31', 80, 0)]))]
    after = [table(('10.0.0.30', 8080, 8, [('192.168.10.31', 80, 4)]))]
    master = {'name': 'web-nat', 'host': 'nat1', 'ok': True, 'skipped': False}
    backup = {'name': 'web-nat', 'host': 'nat1', 'ok': False, 'skipped': True, 'error': 'skipped: ...'}
    got = report([nat], ADDRESSES, plan([nat]), before, after, {'lb1': [master], 'lb2': [backup]})[0]
    assert got['ok'] and got['line'].endswith('; paths: nat1 ok')
    got = report([nat], ADDRESSES, plan([nat]), before, after, {'lb1': [backup], 'lb2': [backup]})[0]
    assert not got['ok'] and got['line'].endswith('paths: nat1 FAILED (no director could reach it) - FAILED: forwarding path failed: nat1')
