# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS connection timeouts: read (``ipvsadm -Ln --timeout``), declare, and set (``--set``).

Pure.  ``ipvsadm --set tcp tcpfin udp`` takes all three; 0 keeps the current
value, which is why 0 cannot be declared.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import MAX_TIMEOUT, IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import blank, check_int

TIMEOUT_KEYS = ('tcp', 'tcpfin', 'udp')
_TIMEOUT_RE = re.compile(r'Timeout \(tcp tcpfin udp\):\s+(\d+)\s+(\d+)\s+(\d+)')


def parse_timeouts(text):
    """``{'tcp', 'tcpfin', 'udp'}`` seconds from ``ipvsadm -Ln --timeout`` output."""
    m = _TIMEOUT_RE.search(text or '')
    if m is None:
        raise IpvsError('cannot parse ipvsadm timeouts from %r' % (text,))
    return dict(zip(TIMEOUT_KEYS, (int(v) for v in m.groups())))


def canon_timeouts(spec):
    """Declared timeouts, None entries (and None as a whole) meaning unmanaged."""
    if not spec:
        return None
    out = {}
    for key in TIMEOUT_KEYS:
        value = spec.get(key)
        if not blank(value):
            # 0 is ipvsadm's "keep current", so it cannot be a declared value.
            out[key] = check_int(value, 'timeouts.' + key, 1, MAX_TIMEOUT)
    unknown = set(spec) - set(TIMEOUT_KEYS)
    if unknown:
        raise IpvsError('timeouts: unknown keys %s' % ', '.join(sorted(unknown)))
    return out or None


def timeouts_command(current, desired):
    """``--set a b c`` line (0 = keep) or None when nothing differs."""
    if not desired:
        return None
    values = []
    for key in TIMEOUT_KEYS:
        want = desired.get(key)
        values.append(0 if want is None or want == current.get(key) else want)
    if not any(values):
        return None
    return '--set %d %d %d' % tuple(values)


def render_timeouts(timeouts):
    """The ``--set`` line restoring ``timeouts`` exactly (for diffs and the flush-and-reload)."""
    return '--set %d %d %d\n' % tuple(timeouts.get(k, 0) for k in TIMEOUT_KEYS)
