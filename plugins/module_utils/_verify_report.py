# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The traffic proof of ``playbooks/verify.yml``: what to send, and what the counters say.

Pure: the declared services (``lvs_services``), the directors' IPVS tables as
``lvs.cluster.ipvs_info`` returns them before and after the probe, and the real servers'
addresses in; the per-service report out.

Why counters and not response bodies: any TCP service can be verified (no special responder
on the real servers), the director's own books say which real server each connection was
scheduled to, and the service's ``OutPkts`` says whether replies came back through the
director, which for DR and TUN must never happen.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._inet import DEFAULT_SCHEDULER, DEFAULT_WEIGHT, bracketed, canonical

# Schedulers (and persistence) that send one client to one real server: one answer suffices.
_AFFINITY_SCHEDULERS = ('sh', 'dh', 'mh')


def _weighted(service):
    return [rs for rs in service.get('realservers') or [] if int(rs.get('weight', DEFAULT_WEIGHT)) > 0]


def _probed(service):
    return service.get('fwmark') is None and service.get('protocol', 'tcp') == 'tcp'


def plan(services, method='tcp', methods=None, requests=None):
    """One entry per service: name, vip, host (URL form), port, method, requests to send.

    ``requests`` None means 4 per weighted real server; UDP and fwmark services get 0.
    """
    out = []
    for service in services or []:
        count = 0
        if _probed(service):
            count = int(requests) if requests is not None else 4 * len(_weighted(service))
        out.append({
            'name': service.get('name'),
            'vip': service.get('vip'),
            'host': bracketed(service.get('vip', '')),
            'port': service.get('port'),
            'method': (methods or {}).get(service.get('name'), method),
            'requests': count,
        })
    return out


def _service_key(protocol, address, port, fwmark):
    # Not _inet.service_key: the declared side (lvs_services) has no family for a fwmark
    # service, so both sides key a fwmark service by its mark alone.
    if fwmark is not None:
        return 'fwmark:%s' % fwmark
    return '%s:%s:%s' % (protocol, canonical(address), port)


def _table_counters(table):
    """service key -> outpkts, and service key>rs address:port -> conns, of one ipvs_info table."""
    outpkts, conns = {}, {}
    for service in (table or {}).get('services') or []:
        key = _service_key(service.get('protocol'), service.get('address'), service.get('port'), service.get('fwmark'))
        outpkts[key] = int((service.get('stats') or {}).get('outpkts') or 0)
        for rs in service.get('realservers') or []:
            conns['%s>%s:%s' % (key, canonical(rs.get('address')), rs.get('port'))] = int((rs.get('stats') or {}).get('conns') or 0)
    return outpkts, conns


def counter_deltas(before, after):
    """Sum over directors of (after - before): (outpkts per service, conns per real server).

    ``before``/``after``: lists of ipvs_info ``ipvs`` results, one per director, same order.
    """
    outpkts, conns = {}, {}
    for old, new in zip(before or [], after or []):
        old_out, old_conns = _table_counters(old)
        new_out, new_conns = _table_counters(new)
        for key, value in new_out.items():
            outpkts[key] = outpkts.get(key, 0) + value - old_out.get(key, 0)
        for key, value in new_conns.items():
            conns[key] = conns.get(key, 0) + value - old_conns.get(key, 0)
    return outpkts, conns


def _label(service):
    fwmark = service.get('fwmark')
    if fwmark is not None:
        where = 'fwmark %s' % fwmark
    else:
        where = '%s:%s/%s' % (bracketed(service.get('vip', '')), service.get('port'), service.get('protocol', 'tcp'))
    return '%s %s %s' % (service.get('name'), where, service.get('mode'))


def _paths_by_service(paths):
    """(service, real server) -> [(director, ok, error)] from ``paths``: director -> the
    ``probes`` that ``lvs.cluster.path_probe`` returned there."""
    out = {}
    for director in sorted(paths or {}):
        for result in paths[director] or ():
            if result.get('skipped'):
                # A backup without the floating DIP: the master's probe is the proof.
                out.setdefault((result.get('name'), result.get('host')), [])
                continue
            out.setdefault((result.get('name'), result.get('host')), []).append(
                (director, bool(result.get('ok')), result.get('error')))
    return out


def _path_failures(outcomes):
    """What failed on which director; a real server that no director probed fails too."""
    if not outcomes:
        return ['no director could reach it']
    return ['%s: %s' % (director, error) for director, ok, error in outcomes if not ok]


def report(services, addresses, sent, before, after, paths=None):
    """Per service: {'name', 'line', 'ok', 'answered': {host: connections}}.

    ``addresses``: real server host -> its address (``lvs_address``, prefix allowed), for
    services whose real servers carry no ``address`` of their own;
    ``sent``: the :func:`plan` the probe host executed;
    ``paths``: director -> its forwarding-path probe results (``lvs.cluster.path_probe``), which
    prove each real server on its own, whatever the scheduler or persistence picks.
    """
    outpkts, conns = counter_deltas(before, after)
    probed_paths = _paths_by_service(paths)
    sent_by_name = dict((p.get('name'), p) for p in sent or [])
    out = []
    for service in services or []:
        fwmark = service.get('fwmark')
        key = _service_key(service.get('protocol', 'tcp'), service.get('vip'), service.get('port'), fwmark)
        requests = int(sent_by_name.get(service.get('name'), {}).get('requests') or 0)
        parts, answered, silent = [], {}, []
        for rs in service.get('realservers') or []:
            host = rs.get('host')
            # The model's services carry each real server's address; raw lvs_services do not.
            address = str(rs.get('address') or addresses.get(host) or '').partition('/')[0]
            port = rs.get('port', service.get('port') if fwmark is None else 0)
            count = conns.get('%s>%s:%s' % (key, canonical(address), port), 0)
            parts.append('%s %d/%d' % (host, count, requests))
            answered[host] = count
            if count == 0 and int(rs.get('weight', DEFAULT_WEIGHT)) > 0:
                silent.append(host)
        problems = []
        if requests > 0:
            affinity = int(service.get('persistence_timeout') or 0) > 0 or service.get('scheduler', DEFAULT_SCHEDULER) in _AFFINITY_SCHEDULERS
            if affinity and not any(answered.values()):
                problems.append('no real server answered')
            elif not affinity and silent:
                problems.append('never answered: ' + ', '.join(silent))
            if service.get('mode') in ('dr', 'tun') and outpkts.get(key, 0) > 0:
                problems.append('replies went through the director (OutPkts +%d)' % outpkts[key])
            body = ', '.join(parts)
        else:
            body = None
        path_parts, path_failed = [], []
        for rs in service.get('realservers') or []:
            outcomes = probed_paths.get((service.get('name'), rs.get('host')))
            if outcomes is None:
                continue
            failures = _path_failures(outcomes)
            path_parts.append('%s %s' % (rs.get('host'), 'FAILED (%s)' % '; '.join(failures) if failures else 'ok'))
            if failures:
                path_failed.append(rs.get('host'))
        if path_failed:
            problems.append('forwarding path failed: ' + ', '.join(path_failed))
        if body is None:
            body = 'not probed (%s)' % ('fwmark' if fwmark is not None else service.get('protocol', 'tcp'))
        if path_parts:
            body += '; paths: ' + ', '.join(path_parts)
        line = '%s: %s' % (_label(service), body)
        if problems:
            line += ' - FAILED: ' + '; '.join(problems)
        out.append({'name': service.get('name'), 'line': line, 'ok': not problems, 'answered': answered})
    return out
