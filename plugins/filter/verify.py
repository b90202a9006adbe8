# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/verify.yml over plugins/module_utils/_verify_report.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._verify_report import plan, report


def verify_plan(services, method='tcp', methods=None, requests=None):
    try:
        return plan(services or [], method, methods or {}, requests)
    except (AttributeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_plan: malformed lvs_services: %s' % (exc,))


def verify_report(services, addresses=None, sent=None, before=None, after=None):
    try:
        return report(services or [], addresses or {}, sent or [], before or [], after or [])
    except (AttributeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.verify_report: malformed input: %s' % (exc,))


class FilterModule(object):
    def filters(self):
        return {
            'verify_plan': verify_plan,
            'verify_report': verify_report,
        }
