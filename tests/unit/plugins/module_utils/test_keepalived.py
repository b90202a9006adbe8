# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived.conf rendering and the keepalived-owned IPVS plan (pure cores)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import shutil
import subprocess

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save
from ansible_collections.lvs.cluster.plugins.module_utils._keepalived_conf import render
from ansible_collections.lvs.cluster.plugins.module_utils._keepalived_plan import (
    mismatches, owned_line, parse_owned, planned_table, predict, with_drain,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import cluster_view
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate

MARK = 0x7FFF0000

# The director view's keepalived part for lb1 of a DR + NAT pair (docs/inventory.md, HA example).
VIEW = {
    "vrrp": {"group": "edge", "instance": "lvs_edge", "interface": "eth1", "virtual_router_id": 51,
             "advert_int": 1, "version": 2, "priority": 200, "preempt": False, "unicast_src": "10.0.0.1",
             "unicast_peers": ["10.0.0.2"],
             "addresses": [{"address": "10.0.0.10/32", "device": "eth1", "family": 4},
                           {"address": "192.168.10.1/24", "device": "eth2", "family": 4}],
             "sync": True, "sync_interface": "eth1", "sync_id": 51, "track_interfaces": ["eth1", "eth2"]},
    "virtual_servers": [
        {"name": "web", "protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": None, "scheduler": "rr",
         "persistence_timeout": None,
         "check": {"type": "http", "path": "/healthz", "status": 200, "interval": 3, "timeout": 1, "retries": 1,
                   "via": "vip", "port": None},
         "realservers": [{"address": "10.0.0.11", "port": 80, "weight": 1, "forward": "dr", "host": "dr1",
                          "check_port": 80, "connect_ip": "10.0.0.10", "fwmark": MARK, "bindto": "10.0.0.1"}]},
        {"name": "app", "protocol": "tcp", "address": "10.0.0.30", "port": 8080, "fwmark": None, "scheduler": "wlc",
         "persistence_timeout": 300,
         "check": {"type": "tcp", "path": None, "status": None, "interval": 2, "timeout": 1, "retries": 0,
                   "via": "rip", "port": None},
         "realservers": [{"address": "192.168.10.31", "port": 80, "weight": 3, "forward": "nat", "host": "nat1",
                          "check_port": 80, "connect_ip": None, "fwmark": None, "bindto": None}]}],
    "probes": [{"fwmark": MARK, "family": "inet", "address": "10.0.0.11", "forward": "dr", "host": "dr1"}],
    "owned": [["tcp", "10.0.0.10", 80], ["tcp", "10.0.0.30", 8080], ["fwm", "inet", MARK]],
    "checker_sysctls": {"accept_local": 1},
}


def test_vrrp_instance_carries_every_address_with_unicast_peers_and_no_strict_mode():
    text = render("lb1", VIEW)
    assert "lvs_sync_daemon eth1 inst lvs_edge id 51" in text
    assert "vrrp_instance lvs_edge {" in text
    assert "    state BACKUP\n" in text and "    nopreempt\n" in text
    assert "        10.0.0.10/32 dev eth1\n        192.168.10.1/24 dev eth2\n" in text
    assert "unicast_src_ip 10.0.0.1" in text and "unicast_peer {\n        10.0.0.2\n    }" in text
    assert "vrrp_strict" not in text and "no_accept" not in text


def test_own_interface_is_not_tracked():
    # keepalived warns about it, and keepalived -t then exits 5 (measured on 2.2.7).
    text = render("lb1", VIEW)
    assert "track_interface {\n        eth2\n    }" in text


def test_preempt_and_sub_second_adverts():
    view = copy.deepcopy(VIEW)
    view["vrrp"].update(preempt=True, advert_int=0.5, version=3)
    text = render("lb1", view)
    assert "nopreempt" not in text
    assert "advert_int 0.5\n" in text and "    version 3\n" in text


def test_check_through_the_forwarding_path():
    text = render("lb1", VIEW)
    block = text[text.index("virtual_server 10.0.0.10 80"):text.index("virtual_server 10.0.0.30")]
    for line in ("delay_loop 3", "lvs_method DR", "HTTP_GET", "path /healthz", "status_code 200",
                 "connect_ip 10.0.0.10", "connect_port 80", "bindto 10.0.0.1", "fwmark %d" % MARK,
                 "connect_timeout 1", "retry 1"):
        assert line in block
    # interval x (retries + 1) + timeout: each retry follows interval - timeout after a failure.
    assert "delay_before_retry 2" in block


def test_probe_service_holds_the_one_real_server():
    text = render("lb1", VIEW)
    probe = text[text.index("virtual_server fwmark %d" % MARK):]
    assert "lvs_method DR" in probe and "ip_family inet" in probe and "real_server 10.0.0.11 0" in probe


def test_nat_checks_are_suspended_on_the_backup():
    text = render("lb1", VIEW)
    nat = text[text.index("virtual_server 10.0.0.30 8080"):text.index("virtual_server fwmark")]
    assert "ha_suspend" in nat and "TCP_CHECK" in nat and "persistence_timeout 300" in nat
    assert "connect_ip" not in nat
    alone = dict(VIEW, vrrp=None)
    assert "ha_suspend" not in render("lb1", alone)
    assert "vrrp_instance" not in render("lb1", alone)


def test_planned_table_and_owned_record():
    planned = planned_table(VIEW)
    keys = set(planned.services)
    assert keys == set(tuple(k) for k in VIEW["owned"])
    line = owned_line(planned)
    assert parse_owned("# x\n" + line + "\n") == keys
    assert parse_owned("no record") == set()
    assert parse_owned(line[:-3]) == set()


def test_predict_one_weight_change_is_one_command():
    planned = planned_table(VIEW)
    live = parse_save(planned.render())
    live.services[("tcp", "10.0.0.99", 80)] = parse_save("-A -t 10.0.0.99:80 -s rr\n").services[("tcp", "10.0.0.99", 80)]
    changed = copy.deepcopy(VIEW)
    changed["virtual_servers"][1]["realservers"][0]["weight"] = 5
    delta = predict(live, planned_table(changed), set(planned.services))
    assert delta.commands == ["-e -t 10.0.0.30:8080 -r 192.168.10.31:80 -m -w 5"]


def test_predict_deletes_what_keepalived_gave_up_and_nothing_else():
    planned = planned_table(VIEW)
    live = parse_save(planned.render() + "-A -t 10.0.0.10:8080 -s rr\n")
    smaller = dict(VIEW, virtual_servers=VIEW["virtual_servers"][:1])
    delta = predict(live, planned_table(smaller), set(planned.services))
    assert delta.commands == ["-D -t 10.0.0.30:8080"]


def test_mismatches_allow_a_failed_check_but_not_a_wrong_weight():
    planned = planned_table(VIEW)
    live = parse_save(planned.render())
    assert mismatches(live, planned) == ([], [])
    del live.services[("tcp", "10.0.0.10", 80)].realservers[("10.0.0.11", 80)]
    problems, down = mismatches(live, planned)
    assert problems == [] and down == ["-t 10.0.0.10:80 10.0.0.11:80"]
    live.services[("tcp", "10.0.0.30", 8080)].realservers[("192.168.10.31", 80)].weight = 9
    problems, _down = mismatches(live, planned)
    assert len(problems) == 1 and "192.168.10.31:80" in problems[0]
    del live.services[("tcp", "10.0.0.30", 8080)]
    assert "missing" in mismatches(live, planned)[0][0]


def test_drain_through_keepalived_sets_weight_0_or_removes():
    drained = with_drain(VIEW, ["10.0.0.11"])
    assert drained["virtual_servers"][0]["realservers"][0]["weight"] == 0
    assert VIEW["virtual_servers"][0]["realservers"][0]["weight"] == 1
    removed = with_drain(VIEW, ["10.0.0.11"], remove=True)
    assert removed["virtual_servers"][0]["realservers"] == []
    assert with_drain(VIEW, []) is VIEW


def _model_view():
    services = [
        {"name": "web", "vip": "10.0.0.10", "port": 80, "mode": "dr", "realservers": [{"host": "dr1"}],
         "health_check": {"type": "http"}},
        {"name": "app", "vip": "10.0.0.30", "port": 8080, "mode": "nat",
         "realservers": [{"host": "nat1", "port": 80}], "health_check": {"type": "tcp"}},
    ]
    hostvars = {
        "lb1": {"lvs_address": "10.0.0.1/24", "lvs_director_vip_interface": "eth1",
                "lvs_director_internal_interface": "eth2", "lvs_director_internal_address": "192.168.10.1/24"},
        "lb2": {"lvs_address": "10.0.0.2/24", "lvs_director_vip_interface": "eth1",
                "lvs_director_internal_interface": "eth2", "lvs_director_internal_address": "192.168.10.1/24"},
        "dr1": {"lvs_address": "10.0.0.11/24"}, "nat1": {"lvs_address": "192.168.10.31/24"},
    }
    groups = {"lvs_directors": ["lb1", "lb2"], "lvs_dr_realservers": ["dr1"], "lvs_nat_realservers": ["nat1"]}
    result = validate(services, hostvars, groups,
                      director_groups=[{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51}])
    assert result.errors == []
    return cluster_view(result.model)


def test_the_model_view_renders_and_plans():
    views = _model_view()
    text1 = render("lb1", views["lb1"]["director"]["keepalived"])
    text2 = render("lb2", views["lb2"]["director"]["keepalived"])
    assert "priority 200" in text1 and "priority 190" in text2
    assert "unicast_peer {\n        10.0.0.1\n    }" in text2
    assert set(planned_table(views["lb1"]["director"]["keepalived"]).services) == \
        set(tuple(k) for k in views["lb1"]["director"]["keepalived"]["owned"])


@pytest.mark.skipif(shutil.which("keepalived") is None, reason="keepalived not installed")
def test_keepalived_accepts_the_rendered_config(tmp_path):
    # Interfaces do not exist here, so keepalived -t warns about them (rc 5): only syntax errors
    # are checked, on the messages themselves.
    conf = tmp_path / "keepalived.conf"
    conf.write_text(render("lb1", VIEW))
    proc = subprocess.run(["keepalived", "-t", "-f", str(conf)], capture_output=True, text=True, check=False)
    unexpected = [line for line in proc.stderr.splitlines()
                  if "doesn't exist" not in line and "Non-existent interface" not in line and line.strip()]
    assert unexpected == []
