# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_rule, parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_delta import (
    PHASES, compute_delta, diff_tables, parse_scope, target_table,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_sim import (
    SimError, Simulator,
)

BASE = """\
-A -t 10.0.0.10:80 -s wlc
-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 1
-A -t 10.0.0.20:443 -s rr -p 300
-a -t 10.0.0.20:443 -r 10.0.0.21:443 -g -w 1
-A -f 42 -s rr
-a -f 42 -r 10.0.0.31:0 -m -w 1
"""


def change(text, old, new):
    assert old in text
    return parse_save(text.replace(old, new))


def cmds(before, after):
    return diff_tables(parse_save(before) if isinstance(before, str) else before,
                       after).commands


def test_same_table_is_empty_delta():
    delta = diff_tables(parse_save(BASE), parse_save(BASE))
    assert not delta and delta.commands == [] and len(delta) == 0


def test_one_weight_change_is_one_command():
    after = change(BASE, '10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 5')
    assert cmds(BASE, after) == ['-e -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 5']


@pytest.mark.parametrize('old,new,expected', [
    ('-A -t 10.0.0.10:80 -s wlc', '-A -t 10.0.0.10:80 -s rr', ['-E -t 10.0.0.10:80 -s rr']),
    ('-s rr -p 300', '-s rr -p 600', ['-E -t 10.0.0.20:443 -s rr -p 600']),
    ('-s rr -p 300', '-s rr', ['-E -t 10.0.0.20:443 -s rr']),
    ('-s rr -p 300', '-s rr -p 300 -M 255.255.0.0',
     ['-E -t 10.0.0.20:443 -s rr -p 300 -M 255.255.0.0']),
    ('-A -f 42 -s rr', '-A -f 42 -s sh -b sh-port', ['-E -f 42 -s sh -b sh-port']),
    ('-r 10.0.0.31:0 -m -w 1', '-r 10.0.0.31:0 -g -w 1', ['-e -f 42 -r 10.0.0.31:0 -g -w 1']),
    ('-r 10.0.0.31:0 -m -w 1', '-r 10.0.0.31:8080 -m -w 1',
     ['-d -f 42 -r 10.0.0.31:0', '-a -f 42 -r 10.0.0.31:8080 -m -w 1']),
    ('-r 10.0.0.21:443 -g -w 1', '-r 10.0.0.22:443 -g -w 1',
     ['-d -t 10.0.0.20:443 -r 10.0.0.21:443', '-a -t 10.0.0.20:443 -r 10.0.0.22:443 -g -w 1']),
    ('-r 10.0.0.21:443 -g -w 1', '-r 10.0.0.21:443 -i -w 1 --tun-type gue --tun-port 6080',
     ['-e -t 10.0.0.20:443 -r 10.0.0.21:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum']),
])
def test_each_kind_of_change(old, new, expected):
    assert cmds(BASE, change(BASE, old, new)) == expected


def test_edit_keeps_unchanged_attributes_since_ipvsadm_resets_omitted_ones():
    before = parse_save('-A -u 10.0.0.1:53 -s sh -p 30 -M 255.255.255.0 -o -b sh-port\n')
    after = parse_save('-A -u 10.0.0.1:53 -s sh -p 60 -M 255.255.255.0 -o -b sh-port\n')
    assert cmds(before, after) == ['-E -u 10.0.0.1:53 -s sh -p 60 -M 255.255.255.0 -o -b sh-port']


def test_threshold_only_change_is_an_edit():
    before = parse_save('-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n')
    after = before.copy()
    after.services[('tcp', '10.0.0.1', 80)].realservers[('10.0.0.2', 80)].upper_threshold = 10
    assert cmds(before, after) == ['-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 -x 10']


def test_ordering_of_a_mixed_change():
    after = parse_save("""\
-A -t 10.0.0.10:80 -s rr
-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 0
-a -t 10.0.0.10:80 -r 10.0.0.13:80 -g -w 1
-A -t 10.0.0.40:80 -s wlc
-a -t 10.0.0.40:80 -r 10.0.0.41:80 -g -w 1
-A -f 42 -s rr
-a -f 42 -r 10.0.0.31:0 -m -w 3
""")
    assert cmds(BASE, after) == [
        '-A -t 10.0.0.40:80 -s wlc',
        '-E -t 10.0.0.10:80 -s rr',
        '-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 0',
        '-d -t 10.0.0.10:80 -r 10.0.0.12:80',
        '-D -t 10.0.0.20:443',
        '-a -t 10.0.0.10:80 -r 10.0.0.13:80 -g -w 1',
        '-a -t 10.0.0.40:80 -r 10.0.0.41:80 -g -w 1',
        '-e -f 42 -r 10.0.0.31:0 -m -w 3',
    ]


def test_flush_is_delete_of_every_service():
    assert sorted(cmds(BASE, Table())) == ['-D -f 42', '-D -t 10.0.0.10:80', '-D -t 10.0.0.20:443']


# ----------------------------------------------------------------- scope

def test_purge_false_keeps_undeclared_services():
    live = parse_save(BASE)
    declared = parse_save('-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')
    target, delta = compute_delta(live, declared, purge=False)
    assert delta.commands == ['-d -t 10.0.0.10:80 -r 10.0.0.12:80']
    assert len(target) == 3


def test_purge_scope_limits_removal_to_scoped_vips_and_fwmarks():
    live = parse_save(BASE + '-A -t [2001:db8::1]:80 -s wlc\n')
    declared = Table()
    _t, delta = compute_delta(live, declared, purge=True, scope=['10.0.0.20', 42])
    assert sorted(delta.commands) == ['-D -f 42', '-D -t 10.0.0.20:443']
    _t, delta = compute_delta(live, declared, purge=True, scope=['2001:0db8::1'])
    assert delta.commands == ['-D -t [2001:db8::1]:80']
    _t, delta = compute_delta(live, declared, purge=True, scope=[])
    assert delta.commands == []


def test_scope_does_not_protect_declared_services():
    live = parse_save(BASE)
    declared = parse_save('-A -t 10.0.0.10:80 -s wlc\n')
    target = target_table(live, declared, purge=True, scope=['10.0.0.99'])
    assert target.services[('tcp', '10.0.0.10', 80)].realservers == {}


def test_parse_scope():
    assert parse_scope(['10.0.0.1', '42', 7, '2001:DB8::1']) == (
        {'10.0.0.1', '2001:db8::1'}, {42, 7})
    with pytest.raises(IpvsError, match='purge_scope'):
        parse_scope(['vip.example'])


def test_timeouts_join_the_batch_last():
    live = parse_save(BASE)
    _t, delta = compute_delta(live, Table(), live_timeouts={'tcp': 900, 'tcpfin': 120, 'udp': 300},
                              timeouts={'udp': 60})
    assert delta.commands[-1] == '--set 0 0 60'
    _t, delta = compute_delta(live, live, live_timeouts={'tcp': 900, 'tcpfin': 120, 'udp': 300},
                              timeouts={'tcp': 900})
    assert not delta


# ----------------------------------------------------- property-based tests

V4 = ['10.0.0.1', '10.0.0.2', '10.0.0.3']
V6 = ['2001:db8::1', '2001:db8::2']
RS4 = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4']
RS6 = ['2001:db8:1::1', '2001:db8:1::2']


@st.composite
def realserver_specs(draw, family, fwmark):
    pool = RS6 if family == 'inet6' else RS4
    addresses = draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(pool)))
    out = []
    for address in addresses:
        forward = draw(st.sampled_from(['dr', 'tun', 'nat']))
        spec = {'address': address, 'weight': draw(st.integers(0, 4)), 'forward': forward,
                'upper_threshold': draw(st.sampled_from([None, 0, 100])),
                'lower_threshold': draw(st.sampled_from([None, 50]))}
        if forward == 'nat' or fwmark:
            spec['port'] = draw(st.sampled_from([None, 8080]))
        if forward == 'tun':
            tun = draw(st.sampled_from([None, 'ipip', 'gue', 'gre']))
            spec['tun_type'] = tun
            if tun == 'gue':
                spec['tun_port'] = draw(st.sampled_from([6080, 6081]))
            if tun in ('gue', 'gre'):
                spec['tun_csum'] = draw(st.sampled_from([None, 'csum', 'nocsum']))
        out.append(spec)
    return out


@st.composite
def service_specs(draw):
    if draw(st.booleans()) and draw(st.booleans()):
        family = draw(st.sampled_from(['inet', 'inet6']))
        spec = {'fwmark': draw(st.integers(1, 3)), 'family': family}
        fwmark = True
    else:
        address = draw(st.sampled_from(V4 + V6))
        family = 'inet6' if ':' in address else 'inet'
        spec = {'address': address, 'port': draw(st.sampled_from([80, 443])),
                'protocol': draw(st.sampled_from(['tcp', 'udp', 'sctp']))}
        fwmark = False
    scheduler = draw(st.sampled_from(['wlc', 'rr', 'sh', 'mh']))
    spec['scheduler'] = scheduler
    if scheduler in ('sh', 'mh'):
        spec['scheduler_flags'] = draw(st.sampled_from(
            [[], [scheduler + '-port'], [scheduler + '-fallback', scheduler + '-port']]))
    persistence = draw(st.sampled_from([None, 300, 600]))
    spec['persistence_timeout'] = persistence
    if persistence:
        spec['persistence_netmask'] = draw(st.sampled_from(
            [None, '64' if family == 'inet6' else '255.255.255.0']))
    spec['realservers'] = draw(realserver_specs(family, fwmark))
    return spec


@st.composite
def tables(draw):
    specs = draw(st.lists(service_specs(), max_size=6))
    table = Table()
    for spec in specs:
        svc = table_from_spec([spec]).services.popitem()[1]
        table.services.setdefault(svc.key, svc)
    return table


@settings(max_examples=300, deadline=None)
@given(tables(), tables())
def test_delta_applied_to_simulator_yields_after(before, after):
    delta = diff_tables(before, after)
    sim = Simulator(before)
    result = sim.run_batch(delta.commands)
    assert result == after
    assert not diff_tables(result, after)


@settings(max_examples=200, deadline=None)
@given(tables())
def test_delta_of_table_against_itself_is_empty(table):
    assert diff_tables(table, table.copy()).commands == []
    assert diff_tables(table, parse_save(table.render())).commands == []


@settings(max_examples=300, deadline=None)
@given(tables(), tables())
def test_ordering_guarantees(before, after):
    """Traffic never reaches a server before its service is final, and every
    traffic-reducing step precedes every traffic-adding one."""
    delta = diff_tables(before, after)
    sim = Simulator(before)
    seen_increase = False
    for line in delta.commands:
        cmd = parse_rule(line)
        if cmd.op == 'a' or _is_raise(cmd, before):
            # The service exists (the simulator would raise otherwise) and
            # already has its final attributes.
            live = sim.table.services[cmd.service.key]
            assert live.attrs() == after.services[cmd.service.key].attrs()
            seen_increase = True
        if cmd.op in ('d', 'D') or (cmd.op == 'e' and not _is_raise(cmd, before)):
            assert not seen_increase, line
        if cmd.op in ('A', 'E'):
            assert not seen_increase, line
        sim.run(line)


def _is_raise(cmd, before):
    if cmd.op != 'e':
        return False
    old = before.services[cmd.service.key].realservers[cmd.realserver.key]
    return cmd.realserver.weight > old.weight


@settings(max_examples=200, deadline=None)
@given(tables(), st.data())
def test_single_weight_change_is_exactly_one_command(table, data):
    servers = [(skey, rkey) for skey, svc in table.services.items() for rkey in svc.realservers]
    if not servers:
        return
    skey, rkey = data.draw(st.sampled_from(servers))
    after = table.copy()
    rs = after.services[skey].realservers[rkey]
    rs.weight = data.draw(st.integers(0, 10).filter(lambda w: w != rs.weight))
    delta = diff_tables(table, after)
    assert len(delta.commands) == 1 and delta.commands[0].startswith('-e ')


@settings(max_examples=100, deadline=None)
@given(tables(), tables())
def test_phase_view_matches_commands(before, after):
    delta = diff_tables(before, after)
    assert delta.commands == [c for p in PHASES for c in delta.phases[p]]
    assert sum(delta.summary().values()) == len(delta.commands)


def test_simulator_catches_a_real_server_before_its_service():
    with pytest.raises(SimError):
        Simulator().run_batch(['-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1',
                               '-A -t 10.0.0.1:80 -s wlc'])
