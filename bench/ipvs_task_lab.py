#!/usr/bin/env python3
"""Time whole ``lvs.cluster.ipvs`` tasks against a lab director, as an operator runs them.

bench/ipvs_apply_lab.py times converge() in a fresh process inside the VM. An operator
sees more: Ansible templating the declaration and sending it, AnsibleModule checking
the arguments, then converge. This runs one playbook against the lab's director
(bench/topologies/one.yml) with a generated table (default 10,000 services x 4 DR real
servers), passed as ``services`` (a list of dicts) and as ``rules`` text, rendered either
by the ipvs_rules filter from that list or by the host_model lookup from a stored model (as
the director role passes it), and prints the wall time of each task
(ansible.posix.profile_tasks):

  ping (a task's fixed cost), load from empty, no-op, no-op, one weight changed,
  purge to empty

and the playbook's time outside its tasks (loading the variables file, start-up).

--ref REV runs the same playbooks once more, in the same lab run, with the collection
as of git revision REV (a temporary worktree), for an A/B of a change; --runs N repeats
them all, interleaved.

Usage: python3 bench/ipvs_task_lab.py [--services 10000] [--realservers 4] [--forms services,filter,lookup] [--ref REV]
                                      [--runs 1] [--instance bench1] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABCTL = [sys.executable, str(ROOT / "lab" / "labctl.py")]
PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

TASKS = ["bench ping", "bench load", "bench no-op 1", "bench no-op 2", "bench one weight", "bench purge"]
# How the table reaches the module: a list of dicts; the text the ipvs_rules filter renders from
# that list; the text the host_model lookup renders from a stored model (the director role's way;
# the model here is a variable holding host_views, read through the lookup's fallback).
FORMS = {
    "services": ('services: "{{ bench_services }}"', 'services: "{{ bench_changed }}"'),
    "filter": ('rules: "{{ bench_services | lvs.cluster.ipvs_rules }}"',
               'rules: "{{ bench_changed | lvs.cluster.ipvs_rules }}"'),
    "lookup": ("rules: \"{{ lookup('lvs.cluster.host_model', inventory_hostname, fallback='bench_model', "
               "ipvs_rules=true).ipvs_rules }}\"",
               "rules: \"{{ lookup('lvs.cluster.host_model', inventory_hostname, fallback='bench_changed', "
               "ipvs_rules=true).ipvs_rules }}\""),
}


PLAY = """---
- name: Whole ipvs tasks
  hosts: director
  gather_facts: false
  tasks:
    - name: bench ping
      ansible.builtin.ping:
    - name: bench load
      lvs.cluster.ipvs:
        @SERVICES@
    - name: bench no-op 1
      lvs.cluster.ipvs:
        @SERVICES@
      register: bench_noop1
    - name: bench no-op 2
      lvs.cluster.ipvs:
        @SERVICES@
      register: bench_noop2
    - name: bench one weight
      lvs.cluster.ipvs:
        @CHANGED@
      register: bench_weight
    - name: bench purge
      lvs.cluster.ipvs:
        services: []
    - name: bench the no-ops changed nothing and the weight was one change
      ansible.builtin.assert:
        that:
          - not bench_noop1.changed and not bench_noop2.changed
          - bench_weight.changed
          - bench_weight.commands | length == 1
"""


def playbook(form: str) -> str:
    services, changed = FORMS[form]
    return PLAY.replace("@SERVICES@", services).replace("@CHANGED@", changed)


def declarations(services: int, per_service: int) -> list[dict]:
    out = []
    for i in range(services):
        vip = "10.%d.%d.%d" % (100 + i // 65536, (i // 256) % 256, i % 256)
        rss = []
        for j in range(per_service):
            n = i * per_service + j
            rss.append({"address": "172.%d.%d.%d" % (16 + n // 65536, (n // 256) % 256, n % 256),
                        "port": 80, "weight": 1, "forward": "dr"})
        out.append({"protocol": "tcp", "address": vip, "port": 80, "scheduler": "wlc", "realservers": rss})
    return out


def collection_at(rev: str, work: Path) -> Path:
    """An ANSIBLE_COLLECTIONS_PATH holding lvs.cluster as of ``rev``."""
    tree = work / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev],
                   check=True, capture_output=True)
    link = work / "collections" / "ansible_collections" / "lvs"
    link.mkdir(parents=True)
    (link / "cluster").symlink_to(tree)
    return work / "collections"


def run_play(collections: Path, inventory: str, play: Path, varfile: Path) -> dict[str, float]:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_PIPELINING="True",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="100", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    t = time.monotonic()
    res = subprocess.run([PLAYBOOK, "-i", inventory, str(play), "-e", "@" + str(varfile)],
                         env=env, capture_output=True, text=True)
    wall = time.monotonic() - t
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-4000:] + res.stderr[-2000:])
        raise SystemExit("playbook failed (rc=%d)" % res.returncode)
    times = {}
    for name in TASKS:
        found = re.findall(r"^%s -+ ([0-9.]+)s$" % re.escape(name), res.stdout, re.M)
        times[name] = float(found[-1])
    times["outside the tasks"] = wall - sum(times.values())
    times["playbook"] = wall
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=10000)
    ap.add_argument("--realservers", type=int, default=4)
    ap.add_argument("--forms", default="services,filter,lookup",
                    help="how the table is passed (comma-separated): services (a list of dicts), filter (the "
                         "ipvs_rules filter's text), lookup (the host_model lookup's text, as the director role)")
    ap.add_argument("--ref", help="also run the collection as of this git revision (A/B)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--instance", default="bench1")
    ap.add_argument("--keep", action="store_true", help="leave the lab instance running")
    a = ap.parse_args()

    up = subprocess.run(LABCTL + ["up", str(ROOT / "bench" / "topologies" / "one.yml"), "--instance", a.instance],
                        text=True, stdout=subprocess.PIPE)
    if up.returncode != 0:
        return up.returncode
    inventory = up.stdout.strip().splitlines()[-1]
    try:
        with tempfile.TemporaryDirectory(prefix="ipvs-task-") as tmp:
            work = Path(tmp)
            services = declarations(a.services, a.realservers)
            changed = json.loads(json.dumps(services))
            changed[a.services // 2]["realservers"][0]["weight"] = 7
            varfiles = {}
            for form in FORMS:
                if form == "lookup":
                    data = {"bench_model": {"host_views": {"director": {"director": {"ipvs_services": services}}}},
                            "bench_changed": {"host_views": {"director": {"director": {"ipvs_services": changed}}}}}
                else:
                    data = {"bench_services": services, "bench_changed": changed}
                varfiles[form] = work / (form + ".json")
                varfiles[form].write_text(json.dumps(data))
            for form in FORMS:
                (work / (form + ".yml")).write_text(playbook(form))
            this = ROOT / ".tmp" / "collections"
            sides = [(form + ", this checkout", this, form) for form in a.forms.split(",")]
            if a.ref:
                ref = collection_at(a.ref, work / "ref")
                sides += [(form + ", " + a.ref, ref, form) for form in a.forms.split(",")]
            print("%d services x %d real servers, variables file %.1f MB; wall seconds per task"
                  % (a.services, a.realservers, varfiles["services"].stat().st_size / 1e6), flush=True)
            results = {label: [] for label, _, _ in sides}
            for run in range(a.runs):
                for label, path, form in sides:
                    results[label].append(run_play(path, inventory, work / (form + ".yml"), varfiles[form]))
                    print("run %d %s: %s" % (run + 1, label, ", ".join(
                        "%s %.1f" % (k.replace("bench ", ""), v) for k, v in results[label][-1].items())),
                        flush=True)
            print("\n| task | " + " | ".join(label for label, _, _ in sides) + " |")
            print("|---|" + "---|" * len(sides))
            for key in TASKS + ["outside the tasks", "playbook"]:
                print("| %s | %s |" % (key.replace("bench ", ""), " | ".join(
                    "/".join("%.1f" % r[key] for r in results[label]) for label, _, _ in sides)))
            if a.ref:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "ref" / "tree")],
                               capture_output=True)
    finally:
        if not a.keep:
            subprocess.run(LABCTL + ["down", "--instance", a.instance], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
