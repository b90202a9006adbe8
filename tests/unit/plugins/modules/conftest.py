# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module tests never reach the test host's kernel.

``backend: auto`` (the default of ipvs and ipvs_info) opens an IPVS netlink socket
when the host has the family, and resolving it can even load ip_vs on a root CI
host. Here the family is missing unless a test installs a fake transport, so the
ipvsadm fakes see every call, as before netlink existed.
"""
import errno

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_runner
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import FamilyMissing


def no_ipvs_family():
    raise FamilyMissing('CTRL_CMD_GETFAMILY IPVS', errno.ENOENT,
                        why='no generic netlink family "IPVS" (test host)')


@pytest.fixture(autouse=True)
def _no_host_netlink(monkeypatch):
    monkeypatch.setattr(_ipvs_runner, 'open_netlink', no_ipvs_family)
