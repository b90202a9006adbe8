# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``rules`` option of lvs.cluster.ipvs: ipvsadm rule lines read as the same table
``services`` declares, with the same checks, and errors that name the line."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.filter.ipvs import ipvs_rules
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_rules, table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_ipvs_spec_args import NEAR_VALID

from ansible.errors import AnsibleFilterError

EVERY_OPTION = [
    {'address': '10.0.0.10', 'port': 80, 'scheduler': 'wlc',
     'realservers': [{'address': '10.0.0.11', 'weight': 0}, {'address': '10.0.0.12', 'upper_threshold': 10,
                                                             'lower_threshold': 2}]},
    {'protocol': 'udp', 'address': '10.0.0.10', 'port': 53, 'one_packet': True, 'scheduler': 'sh',
     'scheduler_flags': ['sh-fallback', 'sh-port'], 'persistence_timeout': 60, 'persistence_netmask': '24',
     'realservers': [{'address': '10.0.0.11', 'port': 5353, 'forward': 'nat'}]},
    {'protocol': 'sctp', 'address': '2001:db8::1', 'port': 443, 'scheduler': 'mh', 'scheduler_flags': ['mh-port'],
     'realservers': [{'address': '2001:db8::5', 'forward': 'tun', 'tun_type': 'gue', 'tun_port': 6080,
                      'tun_csum': 'remcsum'},
                     {'address': '10.0.0.13', 'forward': 'tun', 'tun_type': 'gre', 'tun_csum': 'csum'}]},
    {'address': '10.0.0.10', 'port': 5060, 'protocol': 'udp', 'persistence_timeout': 30,
     'persistence_engine': 'sip', 'realservers': [{'address': '10.0.0.11'}]},
    {'fwmark': 7, 'persistence_timeout': 300, 'realservers': [{'address': '10.0.0.11', 'forward': 'nat'}]},
    {'fwmark': 7, 'family': 'inet6', 'realservers': [{'address': '2001:db8::5'}]},
    {'fwmark': 9},
]


def test_every_option_reads_back_as_declared():
    table = table_from_spec(EVERY_OPTION)
    text = table.render()
    assert table_from_rules(text) == table
    assert ipvs_rules(EVERY_OPTION) == text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NEAR_VALID, min_size=0, max_size=3))
def test_any_accepted_services_read_back_from_their_rules(services):
    try:
        table = table_from_spec(services)
    except IpvsError:
        return
    assert table_from_rules(table.render()) == table


def test_an_ipvsadm_script_as_operators_write_it():
    table = table_from_rules('''
        # web
        ipvsadm -A -t 10.0.0.10:80 -s rr
        ipvsadm --add-server --tcp-service 10.0.0.10:80 --real-server 10.0.0.11 --gatewaying --weight 3
        /sbin/ipvsadm -a -t 10.0.0.10:80 -r 10.0.0.12:80 -g

        -A -t [2001:db8::1]:80 -s wlc
        -a -t [2001:0db8::1]:80 -r [2001:db8::5]:80 -g
    ''')
    assert table == table_from_spec([
        {'address': '10.0.0.10', 'port': 80, 'scheduler': 'rr',
         'realservers': [{'address': '10.0.0.11', 'weight': 3}, {'address': '10.0.0.12'}]},
        {'address': '2001:db8::1', 'port': 80, 'realservers': [{'address': '2001:db8::5'}]}])


@pytest.mark.parametrize('text,message', [
    ('-A -t 10.0.0.10:80\n-E -t 10.0.0.10:80 -s rr\n',
     "rules line 2: only -A (service) and -a (real server) lines declare a table, not '-E -t 10.0.0.10:80 -s rr'"),
    ('-C\n', 'rules line 1: only -A'),
    ('--set 1 2 3\n', 'rules line 1: only -A'),
    ('-a -t 10.0.0.10:80 -r 10.0.0.11\n', 'rules line 1: real server of a service no -A line above declares'),
    ('-A -t [2001:db8::1]:80\n\n-A -t [2001:0db8::1]:80 -s rr\n',
     'rules line 3: service -t [2001:db8::1]:80 is declared twice'),
    ('-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11 -w 1\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -w 2\n',
     'rules line 3: 10.0.0.11:80 is declared twice'),
    ('-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11:8080 -g\n',
     'rules line 2.port: dr real servers must use the service port 80'),
    ('-A -t 10.0.0.10:80 -w 2\n', 'rules line 1: weight does not belong on a service (-A) line'),
    ('-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11 -s rr\n',
     'rules line 2: scheduler does not belong on a real server (-a) line'),
    ('-A -t 10.0.0.10:80 --bogus\n', "rules line 1: unsupported token '--bogus'"),
    ('-A -t 10.0.0.10:80 -s RR\n', "rules line 1.scheduler: 'RR' is not a scheduler name"),
    ('-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11 -w 99999999999\n', 'rules line 2.weight: '),
    ('-A -t 10.0.0.10:80\n-a -t 10.0.0.10:80 -r 10.0.0.11 -i --tun-type gue --tun-port 1 --tun-csum --tun-remcsum\n',
     'rules line 2: more than one of --tun-nocsum'),
    ('-A -f 7\n-a -f 7 -6 -r [2001:db8::5]:0\n', 'rules line 2: real server of a service no -A line above declares'),
])
def test_errors_name_the_line(text, message):
    with pytest.raises(IpvsError) as err:
        table_from_rules(text)
    assert message in str(err.value)


def test_empty_rules_declare_an_empty_table():
    assert len(table_from_rules('')) == 0 and len(table_from_rules('# nothing\n\n')) == 0


def test_filter_fails_with_the_services_message():
    with pytest.raises(AnsibleFilterError) as err:
        ipvs_rules([{'address': '10.0.0.10', 'port': 80, 'wieght': 1}])
    assert 'lvs.cluster.ipvs_rules: services[0]: unsupported key wieght' in str(err.value)


def _outcome(text, fast):
    try:
        return table_from_rules(text, fast=fast)
    except IpvsError as exc:
        return str(exc)


LINE_EDITS = st.lists(st.tuples(st.integers(0, 50), st.sampled_from([
    ('-w 1', '-w 2147483648'), ('-w 1', '-w 0'), (':80 -g', ':81 -g'), (':80 -g', ':80 -m'), (':80 -g', ':80 -i'),
    ('-r 10.0.0.11', '-r [2001:db8::11]'), ('-r 10.0.0.11', '-r 10.0.0.300'), ('-t ', '-u '), (':80', ':99999'),
    ('-g', '-m'), ('-m', '-g'), ('10.0.0.12', '10.0.0.11'), (':5353 -m', ':5353 -g'),
    None, 'swap'])), max_size=4)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NEAR_VALID, min_size=1, max_size=3), LINE_EDITS)
def test_fast_lines_read_as_the_general_way_reads_them(services, edits):
    """Every line the fast way takes gives what the general way gives; every other line,
    and every error, is the general way's."""
    try:
        lines = table_from_spec(services + EVERY_OPTION[:2]).render().splitlines()
    except IpvsError:
        return
    for index, edit in edits:
        index %= len(lines)
        if edit is None:
            lines.insert(index, lines[index])
        elif edit == 'swap':
            lines[index], lines[0] = lines[0], lines[index]
        else:
            lines[index] = lines[index].replace(*edit)
    text = '\n'.join(lines) + '\n'
    assert _outcome(text, True) == _outcome(text, False), text


def test_the_fast_way_takes_the_common_lines(monkeypatch):
    """The real server lines the lookup renders for plain DR/TUN/NAT services, IPv4 and IPv6,
    all take the fast way: the general one is never called for them."""
    services = [{'address': '10.1.0.%d' % i, 'port': 80,
                 'realservers': [{'address': '10.2.%d.%d' % (i, j), 'forward': fwd, 'port': 80 if fwd != 'nat' else 8080}
                                 for j, fwd in enumerate(['dr', 'tun', 'nat'])]} for i in range(5)]
    services.append({'protocol': 'udp', 'address': '2001:db8::1', 'port': 53, 'realservers': [{'address': '2001:db8::5'}]})
    table = table_from_spec(services)
    general = []
    monkeypatch.setattr(_ipvs_spec, 'realserver_from_spec', lambda *args: general.append(args))
    assert table_from_rules(table.render()) == table
    assert general == []
