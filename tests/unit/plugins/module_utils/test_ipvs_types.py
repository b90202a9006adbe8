# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.test_ipvs_save import SAVED


def test_error_to_result_carries_details():
    err = IpvsError('boom', cmd='ipvsadm -R', rc=2, stderr='x')
    assert err.to_result() == {'msg': 'boom', 'cmd': 'ipvsadm -R', 'rc': 2, 'stderr': 'x'}


def test_table_equality_is_exact():
    a = parse_save(SAVED)
    b = parse_save(SAVED)
    b.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)].weight = 9
    assert a != b
    assert a == a.copy()
    assert Table() == Table()
