#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-scale benchmark: the model work of a site.yml run, through ansible-playbook.

The model work of ``site.yml`` is what the controller does for the model, before and
while the roles run, without touching a host: ``playbooks/validate.yml`` (first play of site.yml) templates
every host's lvs_* variables, runs the validator and builds every host's view, and
registers the result as ``lvs_cluster_model`` on localhost; then every host reads its own
part with ``lookup('lvs.cluster.host_model', inventory_hostname)`` (the roles' vars/main.yml).
That lookup exists because the obvious template,
``hostvars['localhost'].lvs_cluster_model.host_views[inventory_hostname]``, costs O(model
size) per evaluation in ansible-core 2.19 (templating copies every dict it touches, here
the one entry per host ``host_views``), so the whole run cost O(hosts^2): 40.8 s of model
work at 5,000 hosts, 7.7 ms per lookup. ``--expression template`` measures that template
instead, for comparison.

Per size (500, 1,000, 2,000 and 5,000 hosts; 1 service per 5 hosts; 100 hosts per site
of 2 directors, so the model grows linearly: bench/synthetic_inventory.py) it writes a
YAML inventory (``ansible_connection: local``; no host is ever contacted, the model work
needs no connection) and runs ansible-playbook, one process per measurement:

  baseline   one no-op task on localhost: start-up and loading the inventory;
  validate   ``playbooks/validate.yml`` as it is;
  loop       validate.yml + one localhost task looping over ``groups['all']``, setting
             ``hostvars[item].lvs_address`` as a fact: a stand-in for one task per host;
  lookups    the same loop, also setting the host's part of the model as a fact, read the
             way the roles read it (or, ``--expression template``, through the template).

Why a localhost loop and not a play over all hosts: a per-host play over 5,000 hosts
mostly measures Ansible's own per-host task scheduling (a worker fork per host and
task), which every play pays whatever it does and is not model work. Each loop item is
still a separate templating of the task's arguments with ``item`` in the variables,
which is what a role's ``set_fact`` of its view does with ``inventory_hostname``: the
same ``hostvars['localhost']`` access (the variable manager builds localhost's variables,
whose registered model is then templated on access), the same ``host_views`` subscript,
the view copied into a fact whose result travels back to the strategy. ``hostvars[item]``
builds that host's variables, as the strategy does for each host's task; it is in both
loops, so ``lookups - loop`` is the view lookup alone. site.yml does this lookup once per
role a host runs (twice for a real server: add, then remove), a small constant multiple.

model work = (validate - baseline) + (lookups - loop): templating every host's lvs_*
variables, the validator, every view, registering the model, then one view lookup per
host. The targets apply to it: each doubling of hosts costs <= 2.2x the time (2,000 ->
5,000 is 2.5x the hosts: its ratio is also given per doubling, ratio ** (1 / log2 2.5)),
and 5,000 hosts take <= 10 s. Times are wall times, the best of ``--repeat`` runs
(measurements interleaved; the CPU time of the run and its workers is shown too); peak
RSS is the run's largest process (ansible-playbook or one of its workers: ru_maxrss of
the wait4() rusage of that one child, which includes its reaped children).

``--per-host-max N`` (default 1,000; 0 skips it) also runs, for the sizes <= N, a real
per-host play after validate.yml (``hosts: all``, one ``set_fact`` per host) with and
without the lookup: their difference divided by the hosts is the lookup's cost per host
in a real play, which must not grow with the hosts.

Exits 0 whether targets are met or not (PASS/MISS per target), 2 on an error
(a failed run; its log is under .tmp/bench-controller-scale/).

    .venv/bin/python bench/controller_scale.py [--sizes 500,1000,2000,5000] [--repeat N]
        [--per-host-max N] [--forks N] [--timeout S]

A full run takes several minutes of both cores (sizes below 500 hosts are quick for a
first try: ``--sizes 100,200``).
"""

from __future__ import (absolute_import, division, print_function)

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from synthetic_inventory import build, write_inventory  # bench/ is sys.path[0]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "lvs", "cluster")
WORKDIR = os.path.join(ROOT, ".tmp", "bench-controller-scale")
VALIDATE = os.path.join(ROOT, "playbooks", "validate.yml")

HOSTS_PER_SITE = 100     # 2 directors + 98 real servers per site
HOSTS_PER_SERVICE = 5    # 1,000 services over 5,000 hosts, as bench/validate_scale.py
DOUBLING_TARGET = 2.2
TOTAL_TARGET = (5000, 10.0)

LOCALHOST_PLAY = """\
- name: {name}
  hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_connection: local
  tasks:
"""
IMPORT_VALIDATE = """\
- name: Compute the model once, as site.yml does
  ansible.builtin.import_playbook: {validate}

"""
PER_HOST_PLAY = """\
- name: {name}
  hosts: all
  gather_facts: false
  tasks:
"""
# How a host reads its part of the model: (in the localhost loop, in a per-host play).
EXPRESSIONS = {
    "lookup": ("lookup('lvs.cluster.host_model', item)", "lookup('lvs.cluster.host_model', inventory_hostname)"),
    "template": ("hostvars['localhost'].lvs_cluster_model.host_views[item]",
                 "hostvars['localhost'].lvs_cluster_model.host_views[inventory_hostname]"),
}

PLAYBOOKS = {
    "baseline": LOCALHOST_PLAY.format(name="Baseline - start-up and inventory, no model work") + """\
    - name: Nothing
      ansible.builtin.debug:
        msg: baseline
""",
    "loop": IMPORT_VALIDATE + LOCALHOST_PLAY.format(name="The same loop without the lookup") + """\
    - name: One loop item per inventory host, its variables but no model access
      ansible.builtin.set_fact:
        lvs_bench_view: "{{ item }}"
        lvs_bench_address: "{{ hostvars[item].lvs_address }}"
      loop: "{{ groups['all'] }}"
      loop_control:
        label: "{{ item }}"
""",
    "lookups": IMPORT_VALIDATE + LOCALHOST_PLAY.format(name="Every host's view, read the way the roles read it") + """\
    - name: One view lookup per inventory host
      ansible.builtin.set_fact:
        lvs_bench_view: "{{ EXPR_ITEM }}"
        lvs_bench_address: "{{ hostvars[item].lvs_address }}"
      loop: "{{ groups['all'] }}"
      loop_control:
        label: "{{ item }}"
""",
    "per_host_base": IMPORT_VALIDATE + PER_HOST_PLAY.format(name="Per-host play without the lookup") + """\
    - name: One set_fact per host, no model access
      ansible.builtin.set_fact:
        lvs_bench_view: "{{ inventory_hostname }}"
""",
    "per_host_lookup": IMPORT_VALIDATE + PER_HOST_PLAY.format(name="Per-host play with the lookup") + """\
    - name: One set_fact per host, its view from the model
      ansible.builtin.set_fact:
        lvs_bench_view: "{{ EXPR_HOST }}"
""",
}


class RunError(Exception):
    pass


def ansible_playbook():
    local = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    found = local if os.path.exists(local) else shutil.which("ansible-playbook")
    if not found:
        raise RunError("ansible-playbook not found next to %s nor on PATH" % sys.executable)
    return found


def environment(forks):
    # No profiling or other extra callbacks from the caller's environment.
    env = dict((k, v) for k, v in os.environ.items()
               if k not in ("ANSIBLE_CALLBACKS_ENABLED", "ANSIBLE_CALLBACK_WHITELIST"))
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_DISPLAY_OK_HOSTS": "False",
        "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "False",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_FORKS": str(forks),
    })
    return env


def run(argv, env, log, timeout):
    """One ansible-playbook process: (wall s, CPU s of it and its children, peak RSS MiB)
    or None on timeout. wait4() gives the rusage of this child alone, its reaped workers
    included, so the peak is this run's."""
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=WORKDIR,
                                start_new_session=True)
        expired = []

        def kill():
            expired.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started above
            except OSError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: the run is in its own session, so it must be stopped here
            kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    if expired:
        return None
    if proc.returncode != 0:
        with open(log) as handle:
            tail = handle.read().splitlines()[-25:]
        raise RunError("%s failed (rc=%d), log %s:\n%s" % (" ".join(argv[1:]), proc.returncode, log, "\n".join(tail)))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def measure(kind, size, inventory, env, args):
    playbook = VALIDATE if kind == "validate" else os.path.join(WORKDIR, "%s.yml" % kind)
    log = os.path.join(WORKDIR, "%s-%d.log" % (kind, size))
    return run([ansible_playbook(), "-i", inventory, playbook], env, log, args.timeout)


def best(samples):
    """Min wall, min CPU, max RSS over the repeats; None if any run timed out."""
    if not samples or any(s is None for s in samples):
        return None
    return (min(s[0] for s in samples), min(s[1] for s in samples), max(s[2] for s in samples))


def per_doubling(ratio, factor):
    return ratio ** (1.0 / math.log(factor, 2)) if factor != 2 else ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,1000,2000,5000", help="comma-separated host counts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    parser.add_argument("--per-host-max", type=int, default=1000,
                        help="also time a real per-host play for sizes up to this (0: never)")
    parser.add_argument("--forks", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per ansible-playbook run")
    parser.add_argument("--expression", choices=sorted(EXPRESSIONS), default="lookup",
                        help="how each host reads its part: the roles' lookup, or the plain template (O(model) each)")
    args = parser.parse_args()
    sizes = sorted(set(int(s) for s in args.sizes.split(",")))
    if any(s < HOSTS_PER_SITE for s in sizes):
        parser.error("sizes must be >= %d hosts" % HOSTS_PER_SITE)

    if not os.path.exists(LINK):
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(ROOT, LINK)
    os.makedirs(WORKDIR, exist_ok=True)
    for kind, text in PLAYBOOKS.items():
        with open(os.path.join(WORKDIR, "%s.yml" % kind), "w") as handle:
            item, host = EXPRESSIONS[args.expression]
            handle.write("---\n" + text.replace("{validate}", VALIDATE).replace("EXPR_ITEM", item).replace("EXPR_HOST", host))
    env = environment(args.forks)

    results = {}  # (kind, size) -> best(...)
    gave_up = set()  # kinds that timed out: larger sizes would too
    try:
        for size in sizes:
            services, hostvars, groups, director_groups = build(size // HOSTS_PER_SERVICE, size,
                                                               sites=size // HOSTS_PER_SITE)
            inventory = os.path.join(WORKDIR, "inventory-%d.yml" % size)
            write_inventory(inventory, services, hostvars, groups, director_groups, {"ansible_connection": "local"})
            kinds = ["baseline", "validate", "loop", "lookups"]
            if size <= args.per_host_max:
                kinds += ["per_host_base", "per_host_lookup"]
            samples = dict((k, []) for k in kinds if k not in gave_up)
            # Interleaved, so a load change on the machine hits every kind alike.
            for _ in range(args.repeat):
                for kind in samples:
                    if None not in samples[kind]:
                        samples[kind].append(measure(kind, size, inventory, env, args))
            for kind in samples:
                results[(kind, size)] = best(samples[kind])
                if results[(kind, size)] is None:
                    gave_up.add(kind)
            done = results.get(("lookups", size))
            print("measured %d hosts%s" % (size, "" if done else " (lookups: timed out)"), file=sys.stderr)
    except RunError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2

    report(sizes, results, args)
    return 0


def report(sizes, results, args):
    print("Controller-scale bench: site.yml model work through ansible-playbook %s" % ansible_version())
    print("best of %d runs, forks %d; times: wall s (CPU s of the run and its workers); "
          "RSS: the run's largest process" % (args.repeat, args.forks))
    print("inventory per size: 1 service per %d hosts, sites of %d hosts (2 directors), DR/TUN/NAT, IPv4/IPv6"
          % (HOSTS_PER_SERVICE, HOSTS_PER_SITE))
    print("model work = validate.yml + lookups (each over the run before it); the loop's own "
          "cost and the baseline are not model work")
    print()
    header = ("hosts", "services", "baseline", "validate.yml", "loop", "lookups", "per lookup",
              "model work", "x prev", "peak RSS base/model")
    rows = []
    model = {}
    previous = None
    for size in sizes:
        base, val, loop, look = (results.get((k, size)) for k in ("baseline", "validate", "loop", "lookups"))
        if None in (base, val, loop, look):
            rows.append((size, size // HOSTS_PER_SERVICE) + tuple(fmt(x) for x in (base, val, loop, look))
                        + ("-", "-", "-", "-"))
            previous = None
            continue
        validate = diff(val, base)
        lookups = diff(look, loop)
        work = (validate[0] + lookups[0], validate[1] + lookups[1])
        model[size] = work[0]
        ratio = ""
        if previous is not None and model[previous] > 0:
            ratio = "%.2fx" % (work[0] / model[previous])
        rows.append((size, size // HOSTS_PER_SERVICE, fmt(base), fmt(validate, "+"), fmt(diff(loop, val), "+"),
                     fmt(lookups, "+"), "%.2f ms" % (1000.0 * lookups[0] / size), fmt(work), ratio,
                     "%.0f / %.0f MiB" % (base[2], look[2])))
        previous = size
    table(header, rows)

    per_host = [s for s in sizes if results.get(("per_host_base", s)) and results.get(("per_host_lookup", s))]
    if per_host:
        print()
        print("Real per-host play after validate.yml (hosts: all, one set_fact per host), with and without the lookup:")
        rows = []
        for size in per_host:
            without, with_ = results[("per_host_base", size)], results[("per_host_lookup", size)]
            rows.append((size, fmt(without), fmt(with_),
                         "%.2f ms" % (1000.0 * (with_[0] - without[0]) / size),
                         "%.2f ms" % (1000.0 * (with_[1] - without[1]) / size),
                         "%.0f / %.0f MiB" % (without[2], with_[2])))
        table(("hosts", "without", "with", "lookup/host wall", "lookup/host CPU", "peak RSS without/with"), rows)

    print()
    print("Targets (model work, wall):")
    for low, high in zip(sizes, sizes[1:]):
        factor = high / float(low)
        if low not in model or high not in model:
            print("  %5d -> %5d hosts: not measured  MISS" % (low, high))
            continue
        if model[low] <= 0:
            print("  %5d -> %5d hosts: %d hosts too small to time  MISS" % (low, high, low))
            continue
        ratio = model[high] / model[low]
        norm = per_doubling(ratio, factor)
        shown = "%.2fx" % ratio
        if factor != 2:
            shown += " for %.1fx the hosts = %.2fx per doubling" % (factor, norm)
        print("  %5d -> %5d hosts: %s (<= %.1fx per doubling)  %s" % (
            low, high, shown, DOUBLING_TARGET, "PASS" if norm <= DOUBLING_TARGET else "MISS"))
    size, limit = TOTAL_TARGET
    if size in model:
        print("  %d hosts: %.2f s (<= %.0f s)  %s" % (
            size, model[size], limit, "PASS" if model[size] <= limit else "MISS"))
    elif size in sizes:
        print("  %d hosts: a run timed out (--timeout %.0f s)  MISS" % (size, args.timeout))
    else:
        print("  %d hosts: not in --sizes" % size)


def diff(a, b):
    return (a[0] - b[0], a[1] - b[1])


def fmt(sample, sign=""):
    if sample is None:
        return "timeout"
    return ("%" + sign + ".2f (%.2f)") % (sample[0], sample[1])


def table(header, rows):
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def ansible_version():
    try:
        from ansible.release import __version__
        return "(ansible-core %s)" % __version__
    except ImportError:
        return ""


if __name__ == "__main__":
    sys.exit(main())
