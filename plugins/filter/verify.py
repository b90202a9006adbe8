# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/verify.yml over plugins/module_utils/_verify_report.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._path_probe import plan as path_plan_of
from ansible_collections.lvs.cluster.plugins.module_utils._verify_ha import judge
from ansible_collections.lvs.cluster.plugins.module_utils._verify_report import plan, report


def verify_plan(services, method='tcp', methods=None, requests=None):
    try:
        return plan(services or [], method, methods or {}, requests)
    except (AttributeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_plan: malformed lvs_services: %s' % (exc,))


def path_plan(services, director):
    try:
        return path_plan_of(services or [], director)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.path_plan: malformed services: %s' % (exc,))


def verify_report(services, addresses=None, sent=None, before=None, after=None, paths=None):
    try:
        return report(services or [], addresses or {}, sent or [], before or [], after or [], paths or {})
    except (AttributeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_report: malformed input: %s' % (exc,))


def verify_ha(groups, services=None, hosts=None, addrs=None, ipvs=None):
    """``hosts``, ``addrs`` (``ip -j addr`` stdout, or undefined when not read) and ``ipvs``
    (ipvs_info's ipvs) are parallel lists, one entry per director of the play."""
    try:
        directors = {}
        for host, addr, table in zip(hosts or [], addrs or [], ipvs or []):
            if isinstance(addr, str) and addr.strip():
                directors[host] = {'addr': json.loads(addr), 'ipvs': table}
        return judge(groups or [], services or [], directors)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_ha: malformed input: %s' % (exc,))


class FilterModule(object):
    def filters(self):
        return {
            'verify_plan': verify_plan,
            'path_plan': path_plan,
            'verify_report': verify_report,
            'verify_ha': verify_ha,
        }
