# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook lvs.cluster.rolling_update refuses bad requests before any change.

The inventory's hosts are unreachable (TEST-NET-1): a refusal must come from the controller
alone, and the rollout play must never start.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest

from test_validate_playbook import ROOT, play

ROLLING = os.path.join(ROOT, "playbooks", "rolling_update.yml")
TASKS = os.path.join(ROOT, "tests", "e2e", "rolling_noop.yml")


@pytest.mark.parametrize("extra,message", [
    (["-e", "lvs_rolling_batch=0"], "lvs_rolling_batch must be at least 1"),
    (["-e", "lvs_rolling_batch=10%"], "rounds to 0 hosts per batch"),
    (["-e", '{"lvs_rolling_hosts": ["lb1"]}'], "host lb1: not a real server"),
    (["-e", "lvs_rolling_batch=3"], "would drain every real server of the service at once"),
])
def test_refused_before_any_change(extra, message):
    rc, out = play("dr", "-e", "lvs_rolling_tasks=" + TASKS, *extra, playbook=ROLLING)
    assert rc != 0 and message in out, out
    assert "UNREACHABLE" not in out and "PLAY [Update the real servers" not in out, out


def test_missing_tasks_file_is_refused():
    rc, out = play("dr", "-e", "lvs_rolling_tasks=/nonexistent/update.yml", playbook=ROLLING)
    assert rc != 0 and "lvs_rolling_tasks /nonexistent/update.yml is not a file" in out, out
    rc, out = play("dr", playbook=ROLLING)
    assert rc != 0 and "lvs_rolling_tasks is not set" in out, out


def test_check_mode_prints_the_plan_and_touches_nothing():
    rc, out = play("dr", "-e", "lvs_rolling_tasks=" + TASKS, "-e", "lvs_rolling_batch=50%", "--check", playbook=ROLLING)
    assert rc == 0, out
    assert "rs1" in out.split("TASK [The plan", 1)[1], out
    # The only contact: reading each real server's marker of the rollout (here unreachable, so
    # not done and planned), never the rollout play.
    assert "PLAY [Update the real servers" in out and "TASK [Drain" not in out, out
    assert "skipped (updated by this rollout" not in out, out
