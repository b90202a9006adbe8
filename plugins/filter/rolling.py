# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/rolling_update.yml and drain.yml over plugins/module_utils/_rolling_plan.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._rolling_plan import drained, plan


def rolling_plan(services, hosts=None, batch=1, allow_outage=False, done=None):
    try:
        return plan(services or [], hosts or [], batch, bool(allow_outage), done or [])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.rolling_plan: malformed input: %s' % (exc,))


def ipvs_drained(ipvs_services, addresses=None, remove=False):
    try:
        return drained(ipvs_services or [], addresses or [], bool(remove))
    except (AttributeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.ipvs_drained: malformed input: %s' % (exc,))


class FilterModule(object):
    def filters(self):
        return {
            'rolling_plan': rolling_plan,
            'ipvs_drained': ipvs_drained,
        }
