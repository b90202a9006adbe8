# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import service_from_spec, table_from_spec


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
