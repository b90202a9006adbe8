# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of playbooks/rolling_update.yml: which real servers go in which batch.

Pure data in, data out.  Input is the run's model (``services`` as
``lvs.cluster.validate`` returns them, with every real server's host and address), the
hosts to update, and the batch size (a count, or a percentage of those hosts).  Output is
the batches in order, what each batch drains on which director, and the errors that stop
the rollout before any change:

- a batch size of 0, or a percentage that rounds to 0 hosts;
- a host that is no real server of any service;
- a batch that would take every real server of a service out at once (all of them
  drained, or the rest already at weight 0), unless ``allow_outage``.

Batches follow Ansible's ``serial``: the hosts in the given order, cut every ``size``
hosts, a percentage taken of the number of hosts (rounded down, as ``serial`` does), so the
plan matches the batches the rolling play runs.

Hosts in ``done`` (a rerun: their update already finished in this rollout) are left out of
the batches and listed as ``skipped``; a percentage is still taken of every host named, so a
resumed rollout keeps its batch size.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

_PERCENT = re.compile(r'^\s*(\d+(?:\.\d+)?)\s*%\s*$')


def batch_size(batch, count):
    """``(size, error)``: hosts per batch for ``count`` hosts."""
    if isinstance(batch, bool):
        return None, 'lvs_rolling_batch must be a number of hosts or a percentage, got %r' % (batch,)
    if isinstance(batch, int):
        size = batch
    else:
        text = str(batch).strip()
        match = _PERCENT.match(text)
        if match:
            percent = float(match.group(1))
            size = int(count * percent / 100.0)
            if size < 1:
                return None, ('lvs_rolling_batch %s of %d real server(s) rounds to 0 hosts per batch; use a larger '
                              'percentage or a number' % (text, count))
            return size, None
        if not text.isdigit():
            return None, 'lvs_rolling_batch must be a number of hosts or a percentage like 25%%, got %r' % (batch,)
        size = int(text)
    if size < 1:
        return None, 'lvs_rolling_batch must be at least 1 (a batch of 0 hosts never ends)'
    return size, None


def plan(services, hosts, batch=1, allow_outage=False, done=()):
    """``{'batches': [...], 'errors': [...], 'hosts': [...], 'skipped': [...]}``.

    Each batch: ``{'index', 'hosts', 'addresses', 'directors', 'services'}`` where
    ``services`` maps each host of the batch to the names of the services it serves.
    """
    errors = []
    serves = {}      # host -> [service names]
    address = {}     # host -> its address
    for svc in services or ():
        for rs in svc.get('realservers') or ():
            serves.setdefault(rs['host'], [])
            if svc['name'] not in serves[rs['host']]:
                serves[rs['host']].append(svc['name'])
            address[rs['host']] = rs.get('address')
    wanted = []
    for host in hosts or ():
        if host in wanted:
            continue
        if host not in serves:
            errors.append('host %s: not a real server of any service in lvs_services; the rolling update drains '
                          'real servers only [rolling-host]' % host)
            continue
        wanted.append(host)
    size, error = batch_size(batch, len(wanted))
    if error:
        errors.append(error + ' [rolling-batch]')
    skipped = [h for h in wanted if h in set(done or ())]
    wanted = [h for h in wanted if h not in skipped]
    if errors or not wanted:
        return {'batches': [], 'errors': errors, 'hosts': wanted, 'skipped': skipped}
    batches = []
    for index, start in enumerate(range(0, len(wanted), size)):
        members = wanted[start:start + size]
        gone = set(members)
        directors = []
        for svc in services:
            rss = svc.get('realservers') or []
            if not any(rs['host'] in gone for rs in rss):
                continue
            for director in svc.get('directors') or ():
                if director not in directors:
                    directors.append(director)
            serving = [rs for rs in rss if rs['host'] not in gone and rs.get('weight', 1) > 0]
            if not serving and not allow_outage:
                errors.append('service %s: batch %d (%s) would drain every real server of the service at once, and '
                              'no other serves with a weight above 0; use a smaller lvs_rolling_batch, or set '
                              'lvs_rolling_allow_outage: true [rolling-outage]'
                              % (svc['name'], index + 1, ', '.join(members)))
        batches.append({'index': index + 1, 'hosts': members,
                        'addresses': [address[h] for h in members],
                        'directors': directors,
                        'services': dict((h, serves[h]) for h in members)})
    return {'batches': [] if errors else batches, 'errors': errors, 'hosts': wanted, 'skipped': skipped}


def drained(ipvs_services, addresses, remove=False):
    """IPVS services (the ipvs module's ``services``, or keepalived's ``virtual_servers``) with
    the real servers at ``addresses`` at weight 0, or left out with ``remove``."""
    gone = set(addresses or ())
    out = []
    for svc in ipvs_services or ():
        realservers = []
        for rs in svc.get('realservers') or ():
            if rs.get('address') not in gone:
                realservers.append(rs)
            elif not remove:
                realservers.append(dict(rs, weight=0))
        out.append(dict(svc, realservers=realservers))
    return out
