#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Synthetic LVS inventory shared by the controller-side benchmarks.

:func:`build` makes the validator's inputs (services, host variables, groups)
for N services over M hosts; :func:`write_inventory` writes the same data as a
YAML inventory for ``ansible-playbook`` (``lvs_services`` in ``all.vars``, as
a real ``group_vars/all`` gives it, every host in its lvs_* group).

    from synthetic_inventory import build, write_inventory   # bench/ on sys.path
"""

from __future__ import (absolute_import, division, print_function)

MODES = ("dr", "tun", "nat")
GROUPS = ("lvs_directors", "lvs_dr_realservers", "lvs_tun_realservers", "lvs_nat_realservers")


def build(n_services, n_hosts, sites=50):
    """Sites alternate IPv4/IPv6; each has 2 directors (a director group) and an
    equal share of real servers split over the three modes; services use 5 real servers.

    Returns ``(services, hostvars, groups, director_groups)`` as the validator core takes them.
    """
    hostvars, services, director_groups = {}, [], []
    groups = {"lvs_directors": [], "lvs_dr_realservers": [], "lvs_tun_realservers": [], "lvs_nat_realservers": []}
    per_site_rs = (n_hosts - 2 * sites) // sites
    per_site_services = n_services // sites

    def addr(family, site, net, host):
        if family == 4:
            return "10.%d.%d.%d" % (site, net * 8 + host // 250, host % 250 + 1)
        return "2001:db8:%x:%x::%x" % (site, net, host + 1)

    def iface(family, site, net, host):
        return "%s/%d" % (addr(family, site, net, host), 21 if family == 4 else 64)

    for site in range(sites):
        family = 4 if site % 2 == 0 else 6
        directors = []
        for k in range(2):
            name = "s%d-dir%d" % (site, k)
            hostvars[name] = {"lvs_address": iface(family, site, 0, 1000 + k) if family == 6 else
                              "10.%d.7.%d/21" % (site, 240 + k),
                              "lvs_director_vip_interface": "eth1",
                              "lvs_director_internal_interface": "eth2",
                              "lvs_director_internal_address": iface(family, site, 2, 0)}
            groups["lvs_directors"].append(name)
            directors.append(name)
        # Sites are segments of their own, so the VRRP id may repeat across them.
        director_groups.append({"name": "s%d" % site, "directors": list(directors),
                                "virtual_router_id": 1 + site % 255})
        pools = {m: [] for m in MODES}
        for k in range(per_site_rs):
            mode = MODES[k % 3]
            net = {"dr": 0, "tun": 1, "nat": 2}[mode]
            name = "s%d-%s%d" % (site, mode, k)
            hostvars[name] = {"lvs_address": iface(family, site, net, 1 + k // 3)}
            groups["lvs_%s_realservers" % mode].append(name)
            pools[mode].append(name)
        for j in range(per_site_services):
            mode = MODES[j % 3]
            pool = pools[mode]
            start = (j * 5) % max(1, len(pool) - 5)
            svc = {"name": "s%d-svc%d" % (site, j), "mode": mode, "directors": directors,
                   "vip": addr(family, site, 5, j), "port": 80 + j, "scheduler": "wlc",
                   "realservers": [{"host": h, "weight": 1 + i} for i, h in enumerate(pool[start:start + 5])]}
            if mode == "nat":
                for rs in svc["realservers"]:
                    rs["port"] = 8080
            services.append(svc)
    groups["all"] = list(hostvars)
    return services, hostvars, groups, director_groups


def write_inventory(path, services, hostvars, groups, director_groups, all_vars=None):
    """Write ``build()``'s output as a YAML inventory file; ``all_vars`` are added to ``all.vars``."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    variables = dict(all_vars or {})
    variables["lvs_services"] = services
    variables["lvs_director_groups"] = director_groups
    children = dict((group, {"hosts": dict((h, hostvars[h]) for h in groups[group])})
                    for group in GROUPS if groups.get(group))
    data = {"all": {"vars": variables, "children": children}}
    with open(path, "w") as handle:
        yaml.dump(data, handle, Dumper=dumper, default_flow_style=False, sort_keys=False)
