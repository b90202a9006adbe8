#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale benchmark of the lvs.cluster validator core.

Builds a synthetic inventory of 1,000 services over 5,000 hosts (DR, TUN and
NAT, IPv4 and IPv6, 50 sites of 2 directors each) and times the pure core:
parse + every rule + the per-host views of all hosts. Target: < 1 s.

    .venv/bin/python bench/validate_scale.py [--services N] [--hosts N] [--repeat N]
"""

from __future__ import (absolute_import, division, print_function)

import argparse
import os
import resource
import sys
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "lvs", "cluster")
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
sys.path.insert(0, COLLECTIONS)

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import cluster_view  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate  # noqa: E402

MODES = ("dr", "tun", "nat")


def build(n_services, n_hosts, sites=50):
    """Sites alternate IPv4/IPv6; each has 2 directors and an equal share of
    real servers split over the three modes; services use 5 real servers."""
    hostvars, services = {}, []
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
    return services, hostvars, groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="fail (exit 1) above this many seconds")
    args = parser.parse_args()

    services, hostvars, groups = build(args.services, args.hosts)
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = validate(services, hostvars, groups)
        checked = time.perf_counter()
        views = cluster_view(result.model)
        done = time.perf_counter()
        timings.append((checked - start, done - checked, done - start))
    if result.findings:
        for finding in result.findings[:10]:
            print(finding.message)
        print("synthetic inventory is not valid: %d findings" % len(result.findings))
        return 2

    tracemalloc.start()
    validate(services, hostvars, groups)
    cluster_view(validate(services, hostvars, groups).model)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    best = min(timings, key=lambda t: t[2])
    print("inventory: %d services, %d hosts, %d real server entries" % (
        len(services), len(hostvars), sum(len(s["realservers"]) for s in services)))
    print("validate (parse + rules): %.3f s" % best[0])
    print("cluster_view (all hosts): %.3f s" % best[1])
    print("total (best of %d):       %.3f s  (target < %.1f s)" % (args.repeat, best[2], args.target))
    print("peak traced memory:       %.1f MiB (tracemalloc, one validate + view)" % (peak / 2.0 ** 20))
    print("max RSS of the process:   %.1f MiB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
    print("views: %d hosts" % len(views))
    return 0 if best[2] < args.target else 1


if __name__ == "__main__":
    sys.exit(main())
