# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook lvs.cluster.validate against example inventories.

Every inventory host has ansible_host in TEST-NET-1 (192.0.2.0/24), which is
never reachable: the playbook must decide from inventory variables alone.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVENTORIES = os.path.join(ROOT, "tests", "e2e", "inventories")
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
PLAYBOOK = os.path.join(ROOT, "playbooks", "validate.yml")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def play(inventory, *extra, **kwargs):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_TIMEOUT="1")
    cmd = [ANSIBLE_PLAYBOOK, "-i", os.path.join(INVENTORIES, inventory, "hosts.yml"),
           kwargs.get("playbook", PLAYBOOK)] + list(extra)
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=300, check=False)
    return proc.returncode, proc.stdout


@pytest.mark.parametrize("inventory,summary", [
    ("dr", "LVS inventory: 2 service(s), 5 host(s), 0 error(s), 0 warning(s)"),
    ("tun", "LVS inventory: 2 service(s), 3 host(s), 0 error(s), 0 warning(s)"),
    ("nat", "LVS inventory: 1 service(s), 4 host(s), 0 error(s), 0 warning(s)"),
])
def test_valid_inventories_pass(inventory, summary):
    rc, out = play(inventory)
    assert rc == 0, out
    assert summary in out
    assert "unreachable=0" in out and "failed=0" in out


def test_mixed_lab_passes_as_collection_playbook():
    rc, out = play("mixed", playbook="lvs.cluster.validate")
    assert rc == 0, out
    assert "LVS inventory: 3 service(s), 7 host(s), 0 error(s), 0 warning(s)" in out


BROKEN = [
    "service web-bad: port 70000 must be an integer from 1 to 65535 [schema]",
    "host dr1, service web-dr (10.0.0.10:80/tcp dr): real server port 8080 differs from service port 80; DR "
    "forwards packets unchanged and cannot remap ports, so drop the real server port or use mode nat "
    "[dr-no-port-remap]",
    "host dr2, service web-dr (10.0.0.10:80/tcp dr): real server 10.0.9.12/24 and director director1 "
    "(10.0.0.1/24) are not on one subnet; DR rewrites only the destination MAC, so put the real server on the "
    "director's segment or use mode tun [dr-same-segment]",
    "host tun2, service web-tun (10.0.1.22:80/tcp tun): VIP 10.0.1.22 is this host's lvs_address; a VIP must be "
    "an address no host owns, so pick a free one [vip-collision]",
    "host nat2, service web-nat (10.0.0.30:8080/tcp nat): is a NAT real server of this service but not in group "
    "lvs_nat_realservers; add it there so the real server role configures it [role-membership]",
    "host nat1, service web-nat (10.0.0.30:8080/tcp nat): lvs_gateway 192.168.10.254 is not the DIP "
    "192.168.10.1; NAT replies must return through the director, so set lvs_gateway to 192.168.10.1 or remove "
    "it [nat-gateway-is-dip]",
]


def test_broken_inventory_lists_every_error_at_once():
    rc, out = play("broken")
    assert rc != 0
    assert "failed=1" in out and "unreachable=0" in out
    # The task message carries all errors, one per line, in order.
    assert "Action failed: " + "\n".join(BROKEN) + "\n" in out, out
    assert '"error_count": %d' % len(BROKEN) in out


def test_warnings_print_and_pass():
    rc, out = play("warning")
    assert rc == 0, out
    assert ("[WARNING]: host tun1, service web-tun (10.0.0.20:80/tcp tun): real server 10.0.0.21/24 shares a "
            "subnet with director director1 (10.0.0.1/24); mode dr would do the same job without the 20-byte "
            "IPIP overhead [tun-same-segment]") in out
    assert "0 error(s), 1 warning(s)" in out


def test_strict_fails_on_warnings():
    rc, out = play("warning", "-e", "lvs_validate_strict=true")
    assert rc != 0
    assert ("Action failed: host tun1, service web-tun (10.0.0.20:80/tcp tun): real server 10.0.0.21/24 shares "
            "a subnet with director director1") in out
    assert "failed=1" in out


def test_site_stops_at_validation_and_touches_no_host():
    # The hosts are unreachable: any task that ran against one would show up as UNREACHABLE.
    rc, out = play("broken", playbook=os.path.join(ROOT, "playbooks", "site.yml"))
    assert rc != 0
    assert "Action failed: " + "\n".join(BROKEN) + "\n" in out, out
    assert "UNREACHABLE" not in out and "PLAY [Real servers - add" not in out, out


DRAIN = os.path.join(ROOT, "playbooks", "drain.yml")


def test_drain_refuses_a_host_the_model_does_not_know():
    # The request check runs on the controller (assert): unreachable directors do not matter.
    rc, out = play("dr", "-e", "lvs_drain_host=nohost", playbook=DRAIN)
    assert rc != 0
    assert "set -e lvs_drain_host=<inventory host of a real server>" in out, out
    assert "Set the real server's weight to 0" not in out, out


def test_drain_takes_the_real_server_and_the_table_from_the_model():
    rc, out = play("dr", "-e", "lvs_drain_host=rs1", playbook=DRAIN)
    # The model's checks pass on the controller; the first IPVS change needs the (unreachable) director.
    check = out.split("TASK [Check the request]", 1)[1].split("TASK [", 1)[0]
    assert "ok: [lb1]" in check and "ok: [lb2]" in check, out
    table = out.split("TASK [Take this director's table", 1)[1].split("TASK [", 1)[0]
    assert "ok: [lb1]" in table, out
    assert rc != 0 and "UNREACHABLE" in out, out
