# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rolling update's plan (pure core)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._rolling_plan import batch_size, drained, plan

SERVICES = [
    {'name': 'web', 'directors': ['lb1', 'lb2'],
     'realservers': [{'host': 'dr1', 'address': '10.0.0.11', 'weight': 1},
                     {'host': 'dr2', 'address': '10.0.0.12', 'weight': 1}]},
    {'name': 'app', 'directors': ['lb1', 'lb2'],
     'realservers': [{'host': 'dr1', 'address': '10.0.0.11', 'weight': 1},
                     {'host': 'dr2', 'address': '10.0.0.12', 'weight': 1},
                     {'host': 'dr3', 'address': '10.0.0.13', 'weight': 1}]},
    {'name': 'nat', 'directors': ['lb3'],
     'realservers': [{'host': 'nat1', 'address': '192.168.10.31', 'weight': 1},
                     {'host': 'nat2', 'address': '192.168.10.32', 'weight': 1}]},
]


@pytest.mark.parametrize('batch,count,size', [(1, 5, 1), (2, 5, 2), ('3', 5, 3), ('40%', 5, 2), ('50 %', 4, 2),
                                              ('100%', 3, 3)])
def test_batch_sizes_follow_serial(batch, count, size):
    assert batch_size(batch, count) == (size, None)


@pytest.mark.parametrize('batch,count,text', [(0, 5, 'at least 1'), ('10%', 5, 'rounds to 0'), ('x', 5, 'percentage'),
                                              (True, 5, 'number'), (-1, 5, 'at least 1')])
def test_bad_batch_sizes(batch, count, text):
    size, error = batch_size(batch, count)
    assert size is None and text in error


def test_one_at_a_time():
    result = plan(SERVICES, ['dr1', 'dr2', 'dr3', 'nat1', 'nat2'])
    assert result['errors'] == []
    assert [b['hosts'] for b in result['batches']] == [['dr1'], ['dr2'], ['dr3'], ['nat1'], ['nat2']]
    first = result['batches'][0]
    assert first['addresses'] == ['10.0.0.11'] and first['directors'] == ['lb1', 'lb2']
    assert first['services'] == {'dr1': ['web', 'app']}
    assert result['batches'][3]['directors'] == ['lb3']


def test_a_batch_that_takes_a_whole_service_out_is_refused_unless_allowed():
    result = plan(SERVICES, ['dr1', 'dr2', 'dr3'], batch=2)
    assert result['batches'] == []
    assert len(result['errors']) == 1 and 'service web: batch 1 (dr1, dr2)' in result['errors'][0]
    assert '[rolling-outage]' in result['errors'][0]
    assert plan(SERVICES, ['dr1', 'dr2', 'dr3'], batch=2, allow_outage=True)['errors'] == []


def test_the_rest_at_weight_0_counts_as_out():
    services = [dict(SERVICES[2], realservers=[dict(SERVICES[2]['realservers'][0]),
                                               dict(SERVICES[2]['realservers'][1], weight=0)])]
    assert 'rolling-outage' in plan(services, ['nat1'])['errors'][0]


def test_a_rerun_skips_the_hosts_already_done_and_keeps_the_batch_size():
    result = plan(SERVICES, ['dr1', 'dr2', 'dr3', 'nat1', 'nat2'], batch='40%', done=['dr1', 'nat1', 'other'])
    assert result['errors'] == [] and result['skipped'] == ['dr1', 'nat1']
    # 40 % of the 5 hosts named: 2 per batch, over the 3 not done.
    assert [b['hosts'] for b in result['batches']] == [['dr2', 'dr3'], ['nat2']]
    assert result['hosts'] == ['dr2', 'dr3', 'nat2']
    everything = plan(SERVICES, ['dr1', 'dr2'], done=['dr1', 'dr2'])
    assert everything == {'batches': [], 'errors': [], 'hosts': [], 'skipped': ['dr1', 'dr2']}


def test_unknown_hosts_and_every_error_at_once():
    result = plan(SERVICES, ['dr1', 'lb1', 'ghost'], batch=0)
    assert len(result['errors']) == 3
    assert 'host lb1: not a real server' in result['errors'][0] and 'host ghost' in result['errors'][1]
    assert '[rolling-batch]' in result['errors'][2]


def test_drained_tables():
    ipvs = [{'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11', 'weight': 3},
                                                                 {'address': '10.0.0.12', 'weight': 1}]}]
    assert drained(ipvs, ['10.0.0.11'])[0]['realservers'][0]['weight'] == 0
    assert ipvs[0]['realservers'][0]['weight'] == 3
    assert drained(ipvs, ['10.0.0.11'], remove=True)[0]['realservers'] == [{'address': '10.0.0.12', 'weight': 1}]
