# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import (
    canon_timeouts, parse_timeouts, render_timeouts, timeouts_command,
)


def test_timeouts():
    current = parse_timeouts('Timeout (tcp tcpfin udp): 900 120 300\n')
    assert current == {'tcp': 900, 'tcpfin': 120, 'udp': 300}
    assert timeouts_command(current, canon_timeouts({'tcp': 900, 'udp': None})) is None
    assert timeouts_command(current, canon_timeouts({'tcp': 7200, 'udp': 300})) == '--set 7200 0 0'
    assert timeouts_command(current, None) is None
    assert render_timeouts(current) == '--set 900 120 300\n'
    with pytest.raises(IpvsError):
        canon_timeouts({'tcp': 0})
    with pytest.raises(IpvsError):
        parse_timeouts('garbage')
