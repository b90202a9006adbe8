# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab topology as validator input, for the lvs.cluster model tests.

front 10.0.0.0/24 (director1 .1, dr1 .11, dr2 .12), TUN net 10.0.1.0/24 (tun1
.21, tun2 .22), back 192.168.10.0/24 (DIP .1 on eth2, nat1 .31, nat2 .32).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

LAB_HOSTVARS = {
    "director1": {"lvs_address": "10.0.0.1/24", "lvs_director_vip_interface": "eth1",
                  "lvs_director_internal_interface": "eth2", "lvs_director_internal_address": "192.168.10.1/24"},
    "dr1": {"lvs_address": "10.0.0.11/24"},
    "dr2": {"lvs_address": "10.0.0.12/24"},
    "tun1": {"lvs_address": "10.0.1.21/24"},
    "tun2": {"lvs_address": "10.0.1.22/24"},
    "nat1": {"lvs_address": "192.168.10.31/24", "lvs_gateway": "192.168.10.1"},
    "nat2": {"lvs_address": "192.168.10.32/24"},
}

LAB_GROUPS = {
    "all": list(LAB_HOSTVARS),
    "lvs_directors": ["director1"],
    "lvs_dr_realservers": ["dr1", "dr2"],
    "lvs_tun_realservers": ["tun1", "tun2"],
    "lvs_nat_realservers": ["nat1", "nat2"],
}

LAB_SERVICES = [
    {"name": "web-dr", "vip": "10.0.0.10", "port": 80, "mode": "dr",
     "realservers": [{"host": "dr1"}, {"host": "dr2"}]},
    {"name": "web-tun", "vip": "10.0.0.20", "port": 80, "mode": "tun", "scheduler": "rr",
     "realservers": [{"host": "tun1"}, {"host": "tun2"}]},
    {"name": "web-nat", "vip": "10.0.0.30", "port": 8080, "mode": "nat", "scheduler": "wrr",
     "persistence_timeout": 300,
     "realservers": [{"host": "nat1", "port": 80, "weight": 2}, {"host": "nat2", "port": 80}]},
]


class Lab(object):
    """A mutable deep copy of the lab inventory."""

    def __init__(self):
        self.services = copy.deepcopy(LAB_SERVICES)
        self.hostvars = copy.deepcopy(LAB_HOSTVARS)
        self.groups = copy.deepcopy(LAB_GROUPS)
        # lvs_director_groups (None: not defined); pass it as validate(director_groups=...).
        self.director_groups = None

    def service(self, name):
        for svc in self.services:
            if svc["name"] == name:
                return svc
        raise KeyError(name)

    def add_host(self, name, group=None, **hostvars):
        self.hostvars[name] = hostvars
        self.groups["all"].append(name)
        if group:
            self.groups.setdefault(group, []).append(name)

    def args(self):
        return self.services, self.hostvars, self.groups
