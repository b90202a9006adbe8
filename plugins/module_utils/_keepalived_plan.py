# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What keepalived's checker will write to IPVS, and whether the live table shows it.

Pure data in, data out.  keepalived owns the health-checked virtual services and the
forwarding-path probe services of a director (``_keepalived_conf``); lvs.cluster.ipvs owns
the rest.  This module turns the director's keepalived view into the IPVS table keepalived
is planned to hold with every real server up, predicts the delta a reload makes (check
mode and diff), and compares the live table with the plan after a reload.

The owned keys are recorded in the rendered config (``owned_line``/``parse_owned``) so a
later run knows which services the previous config gave keepalived, even when the
inventory no longer declares them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_delta import diff_tables
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import Table
from ansible_collections.lvs.cluster.plugins.module_utils._rolling_plan import drained

OWNED_PREFIX = '# lvs.cluster: keepalived writes these IPVS services: '


def _probe_spec(probe):
    return {'fwmark': probe['fwmark'], 'family': probe.get('family', 'inet'), 'scheduler': 'rr',
            'realservers': [{'address': probe['address'], 'port': 0, 'weight': 1,
                             'forward': probe['forward']}]}


def _service_spec(svc):
    keys = ('protocol', 'address', 'port', 'fwmark', 'family', 'scheduler', 'persistence_timeout')
    spec = dict((k, svc.get(k)) for k in keys if svc.get(k) is not None)
    spec['realservers'] = [dict((k, rs.get(k)) for k in ('address', 'port', 'weight', 'forward'))
                           for rs in svc.get('realservers') or ()]
    return spec


def planned_table(view):
    """The IPVS services keepalived holds when every checked real server is up."""
    specs = [_service_spec(s) for s in (view or {}).get('virtual_servers') or ()]
    specs += [_probe_spec(p) for p in (view or {}).get('probes') or ()]
    return table_from_spec(specs)


def owned_line(table):
    keys = sorted(list(k) for k in table.services)
    return OWNED_PREFIX + json.dumps(keys, separators=(',', ':'))


def parse_owned(text):
    """Owned service keys recorded in a config rendered by this collection (empty if none)."""
    for line in (text or '').splitlines():
        if line.startswith(OWNED_PREFIX):
            try:
                return set(tuple(k) for k in json.loads(line[len(OWNED_PREFIX):]))
            except (ValueError, TypeError):
                return set()
    return set()


def restrict(table, keys):
    part = Table()
    part.services = dict((k, s) for k, s in table.services.items() if k in keys)
    return part


def predict(live, planned, previously_owned):
    """The IPVS commands a reload makes: keepalived converges the services it owned and
    owns to the plan (services it gave up are deleted; nothing else is touched)."""
    scope = set(planned.services) | set(previously_owned)
    return diff_tables(restrict(live, scope), planned)


def mismatches(live, planned):
    """Differences between the live table and the plan that a settled reload must not show.

    A checked real server may be absent (its check fails); one that is present must have
    the planned weight and forwarding method, and nothing undeclared may be present.
    Returns ``(problems, down)``: messages, and ``spec address:port`` of absent real servers.
    """
    problems, down = [], []
    for key, want in sorted(planned.services.items(), key=lambda kv: kv[1].sort_key()):
        have = live.services.get(key)
        if have is None:
            problems.append('service %s is missing' % want.spec)
            continue
        if have.attrs() != want.attrs():
            problems.append('service %s has %s, planned %s' % (want.spec, have.options(), want.options()))
        for rkey, rs in have.realservers.items():
            plan = want.realservers.get(rkey)
            if plan is None:
                problems.append('service %s has undeclared real server %s' % (want.spec, rs.options()))
            elif (plan.weight, plan.forward) != (rs.weight, rs.forward):
                problems.append('service %s real server %s: live %s, planned %s'
                                % (want.spec, rs.options().split()[1], rs.options(), plan.options()))
        for rkey, rs in want.realservers.items():
            if rkey not in have.realservers:
                down.append('%s %s' % (want.spec, rs.options().split()[1]))
    return problems, down


def with_drain(view, addresses, remove=False):
    """``view`` with the real servers at ``addresses`` at weight 0 (or left out with ``remove``)
    in every health-checked service: how a drain reaches a keepalived-owned service, since
    keepalived reverts a weight set with ``ipvsadm -e`` at the real server's next check
    transition.  The config file then holds the drain, so it also survives a reboot."""
    if not addresses:
        return view
    return dict(view, virtual_servers=drained(view.get('virtual_servers'), addresses, remove))
