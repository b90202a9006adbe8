# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""verify.yml's judgement of director groups (pure core)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible_collections.lvs.cluster.plugins.module_utils._verify_ha import judge

GROUPS = [{'name': 'edge', 'directors': ['lb1', 'lb2'], 'virtual_router_id': 51,
           'vips': ['10.0.0.10/32'], 'dip': '192.168.10.1/24', 'sync': True}]
SERVICES = [{'name': 'web', 'vip': '10.0.0.10', 'port': 80, 'directors': ['lb1', 'lb2'],
             'health_check': {'type': 'http'},
             'realservers': [{'host': 'dr1', 'address': '10.0.0.11', 'weight': 1},
                             {'host': 'dr2', 'address': '10.0.0.12', 'weight': 1}]}]
IPVS = {'services': [{'protocol': 'tcp', 'address': '10.0.0.10', 'port': 80, 'fwmark': None, 'scheduler': 'rr',
                      'realservers': [{'address': '10.0.0.11', 'port': 80, 'forward': 'dr', 'weight': 1}]}]}


def _addr(*addresses):
    return [{'ifname': 'eth1', 'addr_info': [{'local': a} for a in addresses]}]


def _directors():
    return {'lb1': {'addr': _addr('10.0.0.1', '10.0.0.10', '192.168.10.1'),
                    'ipvs': dict(IPVS, daemons=[{'state': 'master', 'syncid': 51}])},
            'lb2': {'addr': _addr('10.0.0.2'), 'ipvs': dict(IPVS, daemons=[{'state': 'backup', 'syncid': 51}])}}


def test_a_sound_pair():
    out = judge(GROUPS, SERVICES, _directors())
    assert all(f['ok'] for f in out), out
    assert out[-1]['line'] == 'group edge (on lb1): web health: dr1 up, dr2 down'


def test_split_addresses_fail():
    directors = _directors()
    directors['lb2']['addr'] = _addr('10.0.0.2', '192.168.10.1')
    out = judge(GROUPS, SERVICES, directors)
    assert not out[0]['ok'] and '192.168.10.1 on lb1+lb2' in out[0]['line']


def test_no_holder_fails():
    directors = _directors()
    directors['lb1']['addr'] = _addr('10.0.0.1')
    assert not judge(GROUPS, SERVICES, directors)[0]['ok']


def test_tables_must_match():
    directors = _directors()
    directors['lb2']['ipvs'] = copy.deepcopy(directors['lb2']['ipvs'])
    directors['lb2']['ipvs']['services'][0]['realservers'][0]['weight'] = 0
    out = judge(GROUPS, SERVICES, directors)
    assert not out[1]['ok'] and 'lb2 differs from lb1' in out[1]['line']


def test_sync_daemons_follow_the_master():
    directors = _directors()
    directors['lb2']['ipvs'] = dict(directors['lb2']['ipvs'], daemons=[{'state': 'master', 'syncid': 51}])
    assert not judge(GROUPS, SERVICES, directors)[2]['ok']
    directors['lb2']['ipvs'] = dict(directors['lb2']['ipvs'], daemons=[{'state': 'backup', 'syncid': 52}])
    assert not judge(GROUPS, SERVICES, directors)[2]['ok']


def test_unread_director_fails():
    directors = _directors()
    del directors['lb2']
    out = judge(GROUPS, SERVICES, directors)
    assert len(out) == 1 and not out[0]['ok'] and 'lb2' in out[0]['line']
