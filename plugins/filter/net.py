# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the pure host network core (plugins/module_utils/_net_delta.py)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import (
    boot_lines, compute, interface_of, parse_state, route_families, state_line,
)
from ansible_collections.lvs.cluster.plugins.module_utils._route_precedence import conflicts


def net_delta(desired, previous=None, ip_addr=None, ip_routes=None, sysctl_lines=None, prune=True):
    if not isinstance(desired, dict):
        raise AnsibleFilterError('lvs.cluster.net_delta: desired must be a dict, got %s' % type(desired).__name__)
    try:
        return compute(desired, previous or {}, ip_addr or [], ip_routes or [], sysctl_lines or [], bool(prune))
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError('lvs.cluster.net_delta: malformed input: %r' % (exc,))


def net_state(text):
    return parse_state(text)


def net_state_line(record):
    return state_line(record)


def net_boot_lines(record):
    return boot_lines(record or {})


def net_route_families(desired_routes, previous=None):
    return route_families(desired_routes, previous)


def net_interface_of(ip_addr, address):
    return interface_of(ip_addr, address)


def net_route_conflicts(peer, live_routes=None, new_routes=None, gateway='', metric=0):
    try:
        return conflicts(peer, live_routes or [], new_routes or [], gateway, metric)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('lvs.cluster.net_route_conflicts: %s' % (exc,))


class FilterModule(object):
    def filters(self):
        return {
            'net_delta': net_delta,
            'net_state': net_state,
            'net_state_line': net_state_line,
            'net_boot_lines': net_boot_lines,
            'net_route_families': net_route_families,
            'net_route_conflicts': net_route_conflicts,
            'net_interface_of': net_interface_of,
        }
