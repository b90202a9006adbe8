# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Delta between two IPVS tables as one ordered ``ipvsadm -R`` batch.

Pure: tables in, command lines out.

Order of the batch, and why
---------------------------
``ipvsadm -R`` applies line by line, so between two lines the kernel runs
with a half-applied table.  The order keeps every intermediate table safe:
traffic only shrinks towards real servers that are leaving, and only grows
towards real servers once their service has its final attributes.

1. ``-A`` new services, created empty: they receive nothing to forward yet.
2. ``-E`` changed services (scheduler, persistence, flags) *before* any real
   server is added, so a new server is never scheduled under the old rules.
3. ``-e`` real servers whose weight goes down or stays (other attributes such
   as forwarding method or thresholds change): traffic moves away first.
4. ``-d`` real servers leaving a kept service.
5. ``-D`` services that are no longer declared (their servers go with them).
6. ``-a`` new real servers, into services that by now exist and are final.
7. ``-e`` real servers whose weight goes up: last, once everything that
   should stop receiving traffic has stopped.
8. ``--set`` timeouts (independent of the table; last so that a failure in
   the table part is not masked by a timeout change already made).

"Lower weights before removal" is honoured as an order, not as an extra
``-e ... -w 0`` before each ``-d``: inside one batch the two lines run
microseconds apart, so quiescing first would only add a line per removal
without giving established connections any more time.  Draining is the
caller's job (set weight 0 in one run, remove in a later one).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._inet import hostport
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import canon_address
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import timeouts_command

PHASES = ('add_service', 'edit_service', 'lower_realserver', 'delete_realserver',
          'delete_service', 'add_realserver', 'raise_realserver', 'timeouts')


class Delta(object):
    """The ordered batch plus a per-phase view for reports and tests."""

    __slots__ = ('phases',)

    def __init__(self):
        self.phases = dict((name, []) for name in PHASES)

    @property
    def commands(self):
        out = []
        for name in PHASES:
            out.extend(self.phases[name])
        return out

    def __len__(self):
        return sum(len(v) for v in self.phases.values())

    def __bool__(self):
        return len(self) > 0

    __nonzero__ = __bool__

    def summary(self):
        return dict((name, len(self.phases[name])) for name in PHASES)

    def stdin(self):
        return ''.join(line + '\n' for line in self.commands)


def diff_tables(before, after):
    """Commands turning table ``before`` into exactly ``after``."""
    delta = Delta()
    ph = delta.phases
    for key, want in after.services.items():
        have = before.services.get(key)
        spec = want.spec
        if have is None:
            ph['add_service'].append('-A %s %s' % (spec, want.options()))
            adds = ph['add_realserver']
            for rs in want.realservers.values():
                adds.append('-a %s %s' % (spec, rs.options()))
            continue
        if have is want:
            # The live reader shares the declared object when the two are equal.
            continue
        if have.attrs() != want.attrs():
            ph['edit_service'].append('-E %s %s' % (spec, want.options()))
        have_rs = have.realservers
        for rkey, rs in want.realservers.items():
            old = have_rs.get(rkey)
            if old is None:
                ph['add_realserver'].append('-a %s %s' % (spec, rs.options()))
            elif old.attrs() != rs.attrs():
                phase = 'raise_realserver' if rs.weight > old.weight else 'lower_realserver'
                ph[phase].append('-e %s %s' % (spec, rs.options()))
        want_rs = want.realservers
        for rkey in have_rs:
            if rkey not in want_rs:
                ph['delete_realserver'].append('-d %s -r %s' % (spec, hostport(*rkey)))
    for key, have in before.services.items():
        if key not in after.services:
            ph['delete_service'].append('-D %s' % have.spec)
    _sort_phases(delta)
    return delta


def _sort_phases(delta):
    # Dict order follows the declaration, which is stable but arbitrary, or
    # the live table, whose order depends on how it was read (proc lists a
    # service's destinations in kernel order, a dump in another); a sorted
    # batch makes "commands" and check-mode output reproducible.
    for name in ('add_service', 'edit_service', 'delete_realserver', 'delete_service'):
        delta.phases[name].sort()


def parse_scope(scope):
    """Split purge_scope entries into (addresses, fwmarks)."""
    addresses, fwmarks = set(), set()
    for index, item in enumerate(scope or ()):
        text = str(item).strip()
        if text.isdigit():
            fwmarks.add(int(text))
        else:
            try:
                addresses.add(canon_address(text)[0])
            except IpvsError:
                raise IpvsError('purge_scope[%d]: %r is neither an IP address nor a '
                                'fwmark' % (index, item))
    return addresses, fwmarks


def parse_exclude(exclude):
    """``exclude`` entries (``['tcp', '10.0.0.10', 80]``, ``['fwm', 'inet', 7]``) as service keys."""
    keys = set()
    for index, item in enumerate(exclude or ()):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise IpvsError('exclude[%d]: %r is not a service key [protocol, address, port] or '
                            '[fwm, family, fwmark]' % (index, item))
        kind, where, number = item
        try:
            if kind == 'fwm':
                keys.add(('fwm', str(where), int(number)))
            else:
                keys.add((str(kind), canon_address(str(where))[0], int(number)))
        except (IpvsError, TypeError, ValueError):
            raise IpvsError('exclude[%d]: %r is not a service key' % (index, item))
    return keys


def target_table(live, declared, purge=True, scope=None, exclude=None):
    """The table the run converges to.

    Declared services are taken whole (their undeclared real servers go).
    Undeclared live services stay unless purged; with a scope only those
    whose VIP or fwmark is in scope are purged, so another tool can own the
    rest of the director.  Services in ``exclude`` (keys) belong to another
    writer (keepalived's checker): they stay exactly as they are live, and
    declaring one is an error.
    """
    excluded = parse_exclude(exclude) if exclude else set()
    clash = sorted(declared.services[key].spec for key in excluded if key in declared.services)
    if clash:
        raise IpvsError('services %s are declared and also in exclude (written by another tool); '
                        'one writer per service' % ', '.join(clash))
    if purge and scope is None and not excluded:
        return declared
    target = Table()
    target.services = dict(declared.services)
    if purge and scope is not None:
        addresses, fwmarks = parse_scope(scope)
    for key, svc in live.services.items():
        if key in target.services:
            continue
        if purge and key not in excluded and (
                scope is None or svc.address in addresses or svc.fwmark in fwmarks):
            continue
        target.services[key] = svc
    return target


def compute_delta(live, declared, purge=True, scope=None, live_timeouts=None,
                  timeouts=None, exclude=None):
    """Return ``(target table, Delta)`` for a run."""
    target = target_table(live, declared, purge, scope, exclude)
    delta = diff_tables(live, target)
    if timeouts:
        line = timeouts_command(live_timeouts or {}, timeouts)
        if line:
            delta.phases['timeouts'].append(line)
    return target, delta
