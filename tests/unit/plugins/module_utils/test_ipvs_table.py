# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_table import (
    IpvsError, Table, canon_timeouts, parse_rule, parse_save, parse_timeouts,
    render_timeouts, service_from_spec, table_from_spec, timeouts_command,
)

# Shapes printed by ipvsadm 1.31 print_service_entry(FMT_RULE).
SAVED = """\
-A -t 10.0.0.10:80 -s wlc -p 300 -M 255.255.255.0
-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.10:80 -r 10.0.0.12:80 -i -w 2 --tun-type ipip
-a -t 10.0.0.10:80 -r 10.0.0.13:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -t 10.0.0.10:80 -r 10.0.0.14:80 -i -w 1 --tun-type gre --tun-nocsum
-A -u 10.0.0.10:53 -s sh -o -b sh-fallback,sh-port
-a -u 10.0.0.10:53 -r 192.168.1.5:5353 -m -w 0
-A --sctp-service 10.0.0.10:3868 -s rr --pe sip -p 60
-A -t [2001:db8::10]:443 -s mh -b mh-port
-a -t [2001:db8::10]:443 -r [2001:db8::11]:443 -g -w 5
-A -f 42 -s rr
-a -f 42 -r 10.0.0.21:0 -g -w 1
-A -f 42 -6 -s wrr -p 120 -M 64
-a -f 42 -6 -r [2001:db8::21]:8080 -m -w 1
"""


def test_parse_save_covers_every_shape():
    table = parse_save(SAVED)
    assert len(table) == 6
    svc = table.services[('tcp', '10.0.0.10', 80)]
    assert svc.persistence_timeout == 300
    assert svc.persistence_netmask == '255.255.255.0'
    rs = svc.realservers
    assert rs[('10.0.0.11', 80)].forward == 'dr'
    assert rs[('10.0.0.12', 80)].weight == 2
    assert rs[('10.0.0.12', 80)].tun_type == 'ipip'
    gue = rs[('10.0.0.13', 80)]
    assert (gue.tun_type, gue.tun_port, gue.tun_csum) == ('gue', 6080, 'csum')
    assert rs[('10.0.0.14', 80)].tun_csum == 'nocsum'
    udp = table.services[('udp', '10.0.0.10', 53)]
    assert udp.one_packet and udp.scheduler_flags == ('sh-fallback', 'sh-port')
    nat = udp.realservers[('192.168.1.5', 5353)]
    assert (nat.forward, nat.weight) == ('nat', 0)
    assert table.services[('sctp', '10.0.0.10', 3868)].persistence_engine == 'sip'
    v6 = table.services[('tcp', '2001:db8::10', 443)]
    assert v6.family == 'inet6' and v6.scheduler_flags == ('mh-port',)
    assert v6.realservers[('2001:db8::11', 443)].weight == 5
    fwm4 = table.services[('fwm', 'inet', 42)]
    assert ('10.0.0.21', 0) in fwm4.realservers
    fwm6 = table.services[('fwm', 'inet6', 42)]
    assert fwm6.persistence_netmask == '64' and fwm6.scheduler == 'wrr'
    assert fwm6.realservers[('2001:db8::21', 8080)].forward == 'nat'


def test_render_round_trip_and_canonical_order():
    table = parse_save(SAVED)
    text = table.render()
    assert parse_save(text) == table
    assert parse_save(text).render() == text
    # ipip is the default tunnel type, so it is rendered the old short way.
    assert '-r 10.0.0.12:80 -i -w 2\n' in text
    lines = text.splitlines()
    assert lines[0].startswith('-A -t 10.0.0.10:80')
    assert lines[-2] == '-A -f 42 -6 -s wrr -p 120 -M 64'


def test_equivalent_spellings_parse_equal():
    a = parse_save('-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')
    b = parse_save('ipvsadm --add-service --tcp-service 10.0.0.10:80\n'
                   'ipvsadm -a -t 10.0.0.10:80 --real-server=10.0.0.11 --weight 1\n')
    assert a == b


def test_ipv6_addresses_are_canonical():
    a = parse_save('-A -t [2001:0db8:0000::0010]:80 -s wlc\n'
                   '-a -t [2001:0db8:0000::0010]:80 -r [2001:DB8::11]:80 -g -w 1\n')
    assert list(a.services) == [('tcp', '2001:db8::10', 80)]
    assert '-a -t [2001:db8::10]:80 -r [2001:db8::11]:80 -g -w 1' in a.render()


def test_dr_realserver_port_follows_service_port_like_ipvsadm():
    table = parse_save('-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:8080 -g -w 1\n')
    assert ('10.0.0.11', 80) in table.services[('tcp', '10.0.0.10', 80)].realservers


def test_thresholds_parse_and_render():
    cmd = parse_rule('-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1 -x 100 -y 50')
    assert (cmd.realserver.upper_threshold, cmd.realserver.lower_threshold) == (100, 50)
    assert cmd.realserver.options().endswith('-x 100 -y 50')


@pytest.mark.parametrize('line,op', [
    ('-E -t 10.0.0.10:80 -s rr', 'E'), ('-D -t 10.0.0.10:80', 'D'),
    ('-e -t 10.0.0.10:80 -r 10.0.0.11:80 -w 3', 'e'),
    ('-d -t 10.0.0.10:80 -r 10.0.0.11:80', 'd'), ('-C', 'C'),
])
def test_parse_rule_ops(line, op):
    assert parse_rule(line).op == op


def test_parse_rule_set_and_persistent_default():
    assert parse_rule('--set 900 0 300').timeouts == {'tcp': 900, 'tcpfin': 0, 'udp': 300}
    assert parse_rule('-A -t 10.0.0.10:0 -s wlc -p').service.persistence_timeout == 360


@pytest.mark.parametrize('text', [
    '-A -t 10.0.0.10:80 -s wlc --frobnicate\n',
    '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n',
    '-A -t 10.0.0.10:80 -s wlc\n-A -t 10.0.0.10:80 -s rr\n',
    '-A -t www.example.com:80 -s wlc\n',
    '-D -t 10.0.0.10:80\n',
])
def test_parse_save_rejects_what_it_cannot_model(text):
    with pytest.raises(IpvsError):
        parse_save(text)


MODEL_SERVICE = {"protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": None,
                 "scheduler": "wlc", "persistence_timeout": None,
                 "realservers": [{"address": "10.0.0.11", "port": 80, "weight": 1,
                                  "forward": "dr"}]}


def test_model_output_is_accepted_as_is():
    table = table_from_spec([MODEL_SERVICE])
    assert table.render() == ('-A -t 10.0.0.10:80 -s wlc\n'
                              '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')
    data = table.to_data()[0]
    assert data['realservers'][0]['weight'] == 1 and data['family'] == 'inet'


def test_fwmark_service_spec_and_family_defaults():
    svc = service_from_spec({'protocol': None, 'address': None, 'port': None, 'fwmark': 7,
                             'family': None, 'scheduler': None,
                             'realservers': [{'address': '2001:db8::5'}]})
    assert svc.family == 'inet6' and svc.spec == '-f 7 -6'
    assert ('2001:db8::5', 0) in svc.realservers
    svc = service_from_spec({'fwmark': 7, 'family': 'inet'})
    assert svc.spec == '-f 7'


def test_spec_defaults_and_normalisation():
    svc = service_from_spec({'address': '10.0.0.10', 'port': 80, 'scheduler': 'sh',
                             'scheduler_flags': ['flag-2', 'sh-fallback'],
                             'persistence_timeout': 300, 'persistence_netmask': '24',
                             'realservers': [{'address': '10.0.0.11', 'weight': None,
                                              'forward': None},
                                             {'address': '10.0.0.12', 'forward': 'nat',
                                              'port': 8080, 'upper_threshold': 10}]})
    assert svc.scheduler_flags == ('sh-fallback', 'sh-port')
    assert svc.persistence_netmask == '255.255.255.0'
    assert svc.realservers[('10.0.0.11', 80)].weight == 1
    assert svc.realservers[('10.0.0.12', 8080)].upper_threshold == 10
    assert service_from_spec({'address': '10.0.0.10', 'port': 80, 'persistence_timeout': 30,
                              'persistence_netmask': '255.255.255.255'}).persistence_netmask is None


@pytest.mark.parametrize('spec,fragment', [
    ({'address': '10.0.0.10'}, 'port'),
    ({'port': 80}, 'fwmark'),
    ({'address': '10.0.0.10', 'port': 80, 'fwmark': 3}, 'mutually exclusive'),
    ({'address': 'example.com', 'port': 80}, 'not an IP address'),
    ({'address': '10.0.0.10', 'port': 0}, 'persistence'),
    ({'address': '10.0.0.10', 'port': 80, 'protocol': 'icmp'}, 'protocol'),
    ({'address': '10.0.0.10', 'port': 80, 'scheduler_flags': ['sh-port']}, 'scheduler sh'),
    ({'address': '10.0.0.10', 'port': 80, 'persistence_netmask': '24'}, 'persistence_timeout'),
    ({'address': '10.0.0.10', 'port': 80, 'one_packet': True}, 'UDP'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11',
                                                           'port': 81}]}, 'service port'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '2001:db8::1'}]},
     'forward=tun'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11',
                                                           'weight': -1}]}, 'outside'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11'},
                                                          {'address': '10.0.0.11'}]}, 'twice'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11',
                                                           'forward': 'tun',
                                                           'tun_type': 'gue'}]}, 'tun_port'),
    ({'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11',
                                                           'tun_type': 'gre'}]}, 'forward=tun'),
])
def test_spec_validation_errors_name_the_field(spec, fragment):
    with pytest.raises(IpvsError) as err:
        service_from_spec(spec, 'services[3]')
    assert fragment in err.value.msg
    assert err.value.msg.startswith('services[3]')


def test_duplicate_services_rejected():
    with pytest.raises(IpvsError, match='declared twice'):
        table_from_spec([{'address': '10.0.0.10', 'port': 80},
                         {'address': '10.0.0.10', 'port': 80, 'scheduler': 'rr'}])


def test_error_to_result_carries_details():
    err = IpvsError('boom', cmd='ipvsadm -R', rc=2, stderr='x')
    assert err.to_result() == {'msg': 'boom', 'cmd': 'ipvsadm -R', 'rc': 2, 'stderr': 'x'}


def test_timeouts():
    current = parse_timeouts('Timeout (tcp tcpfin udp): 900 120 300\n')
    assert current == {'tcp': 900, 'tcpfin': 120, 'udp': 300}
    assert timeouts_command(current, canon_timeouts({'tcp': 900, 'udp': None})) is None
    assert timeouts_command(current, canon_timeouts({'tcp': 7200, 'udp': 300})) == '--set 7200 0 0'
    assert timeouts_command(current, None) is None
    assert render_timeouts(current) == '--set 900 120 300\n'
    with pytest.raises(IpvsError):
        canon_timeouts({'tcp': 0})
    with pytest.raises(IpvsError):
        parse_timeouts('garbage')


def test_table_equality_is_exact():
    a = parse_save(SAVED)
    b = parse_save(SAVED)
    b.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)].weight = 9
    assert a != b
    assert a == a.copy()
    assert Table() == Table()
