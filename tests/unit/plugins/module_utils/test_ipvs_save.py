# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import jinja2
import pytest
from hypothesis import given, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_rule, parse_save, restore_file

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


def test_render_without_thresholds_is_what_ipvsadm_save_prints():
    table = parse_save('-A -t 10.0.0.10:80 -s wlc\n'
                       '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1 -x 100 -y 50\n')
    assert '-x 100 -y 50' in table.render()
    assert table.render(thresholds=False) == ('-A -t 10.0.0.10:80 -s wlc\n'
                                              '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n')


# ipvsadm -Sn order: each service followed by its real servers.
LIVE_SAVE = """\
-A -t 10.0.0.20:443 -s rr
-a -t 10.0.0.20:443 -r 10.0.0.21:443 -g -w 1
-A -t 10.0.0.10:80 -s wlc
-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 1
-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1
"""


def test_restore_file_puts_every_service_before_every_real_server():
    text = restore_file(LIVE_SAVE)
    assert text == ('-A -t 10.0.0.10:80 -s wlc\n'
                    '-A -t 10.0.0.20:443 -s rr\n'
                    '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n'
                    '-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 1\n'
                    '-a -t 10.0.0.20:443 -r 10.0.0.21:443 -g -w 1\n')
    assert parse_save(text) == parse_save(LIVE_SAVE)
    assert restore_file('') == '' and restore_file('\n') == '' and restore_file(None) == ''


# What roles/director/tasks/ipvs.yml templated into the file before the module's save option:
# stdout_lines of an ansible.builtin.command run of ipvsadm -Sn.
ROLE_TEMPLATE = "{{ (lines | sort(case_sensitive=true) | join('\\n') ~ '\\n') if lines else '' }}"


def role_file(stdout):
    # The command module strips trailing newlines; Ansible splits the rest into stdout_lines.
    lines = stdout.rstrip('\r\n').splitlines()
    return jinja2.Environment().from_string(ROLE_TEMPLATE).render(lines=lines)


@given(st.lists(st.sampled_from(['-A -t 10.0.0.10:80 -s wlc', '-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1',
                                 '-A -f 42 -s rr', '-a -f 42 -r 10.0.0.31:0 -m -w 2', '-A -u [::1]:53 -s sh',
                                 '-E x', '-e x', 'Z', 'a', '', ' '])),
       st.sampled_from(['', '\n', '\n\n', '\r\n']))
def test_restore_file_is_byte_identical_to_the_director_roles_template(lines, end):
    stdout = '\n'.join(lines) + end
    assert restore_file(stdout) == role_file(stdout)


def test_restore_file_matches_the_role_on_a_real_table():
    assert restore_file(LIVE_SAVE) == role_file(LIVE_SAVE)
    assert restore_file('') == role_file('') == ''
