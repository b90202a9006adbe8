# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HA part of playbooks/verify.yml: director groups judged from what each director shows.

Pure data in, data out.  Per director group of the model (``group_list``):

- exactly one director holds every VIP and the DIP of the group, and it is the same one;
- every director of the group has the same IPVS table (services, real servers, weights);
- the holder runs the master sync daemon and the others a backup daemon, with one sync id
  (when the group syncs);
- the health of each real server of a health-checked service: up when the holder's table has
  it with a weight above 0, down when the checker took it out.

``directors`` maps a director to ``{'addr': ip -j addr output (list), 'ipvs': ipvs_info's
ipvs}``; a director that could not be read is absent.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def _held(addr_json):
    held = set()
    for link in addr_json or ():
        for info in link.get('addr_info') or ():
            held.add(info.get('local'))
    return held


def _bare(address):
    return str(address).split('/', 1)[0]


def _table(ipvs):
    rows = []
    for svc in (ipvs or {}).get('services') or ():
        ident = 'fwmark %s' % svc.get('fwmark') if svc.get('fwmark') else '%s %s:%s' % (
            svc.get('protocol'), svc.get('address'), svc.get('port'))
        for rs in svc.get('realservers') or ():
            rows.append('%s %s -> %s:%s %s w%s' % (ident, svc.get('scheduler'), rs.get('address'), rs.get('port'),
                                                   rs.get('forward'), rs.get('weight')))
        if not svc.get('realservers'):
            rows.append('%s %s (no real server)' % (ident, svc.get('scheduler')))
    return sorted(rows)


def _health(services, ipvs):
    """``name: dr1 up, dr2 down`` for every health-checked service (from the holder's table)."""
    live = {}
    for svc in (ipvs or {}).get('services') or ():
        key = (svc.get('address'), svc.get('port'), svc.get('fwmark') or None)
        live[key] = dict(((rs.get('address'), rs.get('port')), rs.get('weight')) for rs in svc.get('realservers') or ())
    lines = []
    for svc in services or ():
        if not svc.get('health_check'):
            continue
        key = (svc.get('vip'), svc.get('port'), svc.get('fwmark') or None)
        present = live.get(key, {})
        states = []
        for rs in svc.get('realservers') or ():
            port = rs.get('port', svc.get('port'))
            weight = present.get((rs.get('address'), port if not svc.get('fwmark') else 0))
            states.append('%s %s' % (rs.get('host'), 'down' if weight is None else ('up' if weight else 'up, weight 0')))
        lines.append('%s health: %s' % (svc.get('name'), ', '.join(states) or 'no real server'))
    return lines


def judge(groups, services, directors):
    """One ``{'group', 'ok', 'line'}`` per finding; ``ok`` false fails verify.yml."""
    out = []
    for group in groups or ():
        name = group['name']
        wanted = [_bare(a) for a in group.get('vips') or ()] + ([_bare(group['dip'])] if group.get('dip') else [])
        members = group.get('directors') or []
        unread = [d for d in members if d not in directors]
        if unread:
            out.append({'group': name, 'ok': False, 'line': 'group %s: could not read director(s) %s'
                        % (name, ', '.join(unread))})
            continue
        holders = dict((a, [d for d in members if a in _held(directors[d].get('addr'))]) for a in wanted)
        owners = set(d for ds in holders.values() for d in ds)
        single = all(len(ds) == 1 for ds in holders.values()) and len(owners) == 1
        held_text = ', '.join('%s on %s' % (a, '+'.join(ds) or 'nobody') for a, ds in holders.items())
        out.append({'group': name, 'ok': single, 'line': 'group %s: %s%s' % (
            name, held_text, '' if single else ' (each address must be on exactly one director, all on the same one)')})
        master = sorted(owners)[0] if single else None

        tables = dict((d, _table(directors[d].get('ipvs'))) for d in members)
        same = all(tables[d] == tables[members[0]] for d in members)
        diff = ''
        if not same:
            ref = set(tables[members[0]])
            diff = '; '.join('%s differs from %s: only there %s, missing %s' % (
                d, members[0], sorted(set(tables[d]) - ref), sorted(ref - set(tables[d])))
                for d in members[1:] if tables[d] != tables[members[0]])
        out.append({'group': name, 'ok': same, 'line': 'group %s: %s' % (
            name, 'the IPVS tables of %s are equal (%d real server entries)' % (', '.join(members), len(tables[members[0]]))
            if same else diff)})

        if group.get('sync', True) and master is not None:
            daemons = dict((d, (directors[d].get('ipvs') or {}).get('daemons') or []) for d in members)
            ids = set(x.get('syncid') for ds in daemons.values() for x in ds)
            states = dict((d, sorted(x.get('state') for x in ds)) for d, ds in daemons.items())
            ok = (states[master] == ['master'] and all(states[d] == ['backup'] for d in members if d != master)
                  and len(ids) == 1 and (group.get('virtual_router_id') is None or ids == {group['virtual_router_id']}))
            out.append({'group': name, 'ok': ok, 'line': 'group %s: sync daemons %s, sync id %s' % (
                name, ', '.join('%s %s' % (d, '+'.join(states[d]) or 'none') for d in members),
                '/'.join(str(i) for i in sorted(ids, key=str)) or 'none')})
        if master is not None:
            mine = [s for s in services or () if set(s.get('directors') or ()) & set(members)]
            for line in _health(mine, directors[master].get('ipvs')):
                out.append({'group': name, 'ok': True, 'line': 'group %s (on %s): %s' % (name, master, line)})
    return out
