#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale benchmark of the lvs.cluster validator core.

Builds a synthetic inventory of 1,000 services over 5,000 hosts (DR, TUN and
NAT, IPv4 and IPv6, 50 sites of 2 directors each: bench/synthetic_inventory.py)
and times the pure core: parse + every rule + the per-host views of all hosts.
Target: < 1 s.

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
from synthetic_inventory import build  # noqa: E402  (bench/ is sys.path[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="fail (exit 1) above this many seconds")
    args = parser.parse_args()

    services, hostvars, groups, director_groups = build(args.services, args.hosts)
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = validate(services, hostvars, groups, director_groups=director_groups)
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
    validate(services, hostvars, groups, director_groups=director_groups)
    cluster_view(validate(services, hostvars, groups, director_groups=director_groups).model)
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
