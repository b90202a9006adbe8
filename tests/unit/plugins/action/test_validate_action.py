# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lvs.cluster.validate action over a real Ansible inventory (no connection used)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import textwrap

import pytest

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.template import Templar
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.lvs.cluster.plugins.action.validate import ActionModule, _plain, _referenced_hosts

INVENTORIES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "e2e", "inventories")


class _Connection(object):
    """Any use of the connection is a bug: validation must never contact a host."""

    class _shell(object):  # pylint: disable=invalid-name
        tmpdir = None

    def __getattr__(self, name):
        raise AssertionError("validate touched the connection: %s" % name)


def run_action(inventory_path, **args):
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[inventory_path])
    variables = VariableManager(loader=loader, inventory=inventory)
    task = Task()
    task.args = args
    task.action = "lvs.cluster.validate"
    task_vars = variables.get_vars(host=inventory.get_host("localhost"), task=None)
    task_vars["hostvars"] = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    action = ActionModule(task=task, connection=_Connection(), play_context=None, loader=loader,
                          templar=Templar(loader=loader, variables=task_vars), shared_loader_obj=None)
    return action.run(task_vars=task_vars)


@pytest.fixture
def inventory_dir(tmp_path):
    def write(hosts, group_vars=None):
        (tmp_path / "hosts.yml").write_text(textwrap.dedent(hosts))
        if group_vars:
            (tmp_path / "group_vars").mkdir()
            for name, text in group_vars.items():
                (tmp_path / "group_vars" / (name + ".yml")).write_text(textwrap.dedent(text))
        return str(tmp_path / "hosts.yml")
    return write


def test_mixed_lab_views():
    result = run_action(os.path.join(INVENTORIES, "mixed", "hosts.yml"))
    assert not result.get("failed"), result
    assert (result["error_count"], result["warning_count"], result["findings"]) == (0, 0, [])
    director = result["host_views"]["director1"]["director"]
    assert director["vips"] == ["10.0.0.10/32", "10.0.0.20/32", "10.0.0.30/32"]
    assert director["internal_address"] == "192.168.10.1/24" and director["ip_forward"] is True
    assert director["ipvs_services"][2] == {
        "protocol": "tcp", "address": "10.0.0.30", "port": 8080, "fwmark": None, "scheduler": "wrr",
        "persistence_timeout": 300,
        "realservers": [{"address": "192.168.10.31", "port": 80, "weight": 2, "forward": "nat"},
                        {"address": "192.168.10.32", "port": 80, "weight": 1, "forward": "nat"}]}
    assert result["host_views"]["nat2"]["nat_realserver"] == {
        "gateway": "192.168.10.1", "services": ["web-nat"], "director_networks": ["192.168.10.0/24"],
        "labels": {"web-nat": "host nat2, service web-nat (10.0.0.30:8080/tcp nat)"}}
    assert director["labels"]["web-dr"] == "host director1, service web-dr (10.0.0.10:80/tcp dr)"


def test_broken_fails_with_all_lines_and_host_scope():
    path = os.path.join(INVENTORIES, "broken", "hosts.yml")
    result = run_action(path)
    assert result["failed"] is True and result["error_count"] == 6
    assert len(result["msg"].splitlines()) == 6
    assert "host_views" not in result
    scoped = run_action(path, host="tun1")
    # tun1 takes part in web-tun only, whose VIP collides with tun2.
    assert [f["rule"] for f in scoped["findings"]] == ["vip-collision"]
    quiet = run_action(path, host="tun1", fail_on_error=False)
    assert not quiet.get("failed") and quiet["host_view"]["tun_realserver"]["vips"] == ["10.0.1.22/32"]


def test_strict_and_warnings():
    path = os.path.join(INVENTORIES, "warning", "hosts.yml")
    result = run_action(path)
    assert not result.get("failed") and result["warning_count"] == 1
    assert result["warnings"][0].endswith("[tun-same-segment]")
    strict = run_action(path, strict=True)
    assert strict["failed"] and strict["msg"].endswith("[tun-same-segment]")


def test_templated_hostvars_and_undefined(inventory_dir):
    path = inventory_dir("""\
        all:
          children:
            lvs_directors:
              hosts:
                d1: {lvs_address: "{{ front_net }}.1/24", lvs_director_vip_interface: eth1,
                     lvs_director_internal_address: 192.168.10.1/24}
            lvs_nat_realservers:
              vars:
                lvs_gateway: "{{ hostvars['d1'].lvs_director_internal_address.split('/') | first }}"
              hosts:
                n1: {lvs_address: 192.168.10.31/24}
                n2: {lvs_address: "{{ nowhere }}"}
        """, {"all": """\
        front_net: 10.0.0
        web_port: 8080
        lvs_services:
          - {name: web, vip: 10.0.0.10, port: "{{ web_port }}", mode: nat,
             realservers: [{host: n1, port: 80}, {host: n2, port: 80}]}
          - {name: api, vip: 10.0.0.11, port: "{{ api_port }}", mode: nat, realservers: [{host: n1}]}
        """})
    result = run_action(path, fail_on_error=False)
    messages = [f["message"] for f in result["findings"]]
    assert messages == [
        "lvs_services[1]: could not be templated ('api_port' is undefined); fix the variable [schema]",
        "host n2: lvs_address could not be templated ('nowhere' is undefined); fix the variable [schema]",
    ]
    assert result["host_views"]["d1"]["address"] == "10.0.0.1/24"
    assert result["host_views"]["n1"]["nat_realserver"]["gateway"] == "192.168.10.1"


def test_lvs_services_must_agree(inventory_dir):
    path = inventory_dir("""\
        all:
          vars:
            lvs_services: [{name: web, vip: 10.0.0.10, port: 80, mode: dr, realservers: [{host: r1}]}]
          children:
            lvs_directors:
              hosts:
                d1: {lvs_address: 10.0.0.1/24, lvs_director_vip_interface: eth1}
            lvs_dr_realservers:
              hosts:
                r1:
                  lvs_address: 10.0.0.11/24
                  lvs_services: [{name: web, vip: 10.0.0.10, port: 81, mode: dr, realservers: [{host: r1}]}]
        """)
    result = run_action(path)
    assert result["failed"]
    assert result["msg"] == ("host r1: sees a different lvs_services than host d1; lvs_services is cluster-wide, "
                             "define it once (group_vars/all) and not per host or group [schema]")


def test_services_option_and_missing_services(inventory_dir):
    path = inventory_dir("""\
        all:
          children:
            lvs_directors:
              hosts:
                d1: {lvs_address: 10.0.0.1/24, lvs_director_vip_interface: eth1}
        """)
    result = run_action(path)
    assert result["msg"].startswith("lvs_services: is not defined for any host of the LVS groups")
    result = run_action(path, services=[{"name": "x", "vip": "10.0.0.9", "port": 1, "mode": "dr",
                                         "realservers": []}])
    assert not result.get("failed") and result["warning_count"] == 1
    result = run_action(path, services="nonsense")
    assert result["msg"] == "lvs_services: must be a list of services, got string [schema]"


def test_helpers():
    assert _plain({"a": (1, True, None, 2.5)}) == {"a": [1, True, None, 2.5]}
    assert _plain(object).startswith("<class")
    assert _referenced_hosts([{"directors": ["d1", 3], "realservers": [{"host": "r1"}, "r2", {"host": None}]},
                              None]) == {"d1", "r1"}
    assert _referenced_hosts("x") == set()
    assert _referenced_hosts([], [{"directors": ["d1", 2]}, "x", {"directors": "d2"}]) == {"d1"}


def test_hosts_mode_is_the_model_for_a_roles_own_play():
    """hosts: the play's hosts, once (run_once); each host's findings and view, nothing else."""
    path = os.path.join(INVENTORIES, "broken", "hosts.yml")
    result = run_action(path, hosts=["tun1", "dr1", "ghost"], fail_on_error=False)
    assert not result.get("failed"), result
    # Views only for the hosts asked about that the model knows ("ghost" is in no group).
    assert sorted(result["host_views"]) == ["dr1", "tun1"]
    assert result["host_views"]["tun1"]["tun_realserver"]["vips"] == ["10.0.1.22/32"]
    # The same findings, per host, as the per-host call (host: tun1) reports.
    alone = run_action(path, host="tun1", fail_on_error=False)
    assert result["host_findings"]["tun1"]["errors"] == [f["message"] for f in alone["findings"]]
    assert set(f["message"] for f in result["findings"]) >= set(result["host_findings"]["tun1"]["errors"])
    # With fail_on_error (the default) the findings of the hosts asked about fail the task.
    assert run_action(path, hosts=["tun1"])["failed"] is True


def test_whole_inventory_returns_services_and_sparse_host_findings():
    result = run_action(os.path.join(INVENTORIES, "warning", "hosts.yml"))
    assert not result.get("failed") and result["warning_count"] == 1
    # Every host the finding concerns, and only those, with the warning under "warnings".
    assert result["host_findings"] and all(f["errors"] == [] and len(f["warnings"]) == 1
                                           for f in result["host_findings"].values())
    assert set(result["host_findings"]) <= set(result["host_views"])
    service = result["services"][0]
    assert set(service) >= {"name", "mode", "protocol", "vip", "port", "scheduler", "realservers", "directors"}
    assert all(rs["address"] for rs in service["realservers"])
    clean = run_action(os.path.join(INVENTORIES, "mixed", "hosts.yml"))
    assert clean["host_findings"] == {}
    nat = [s for s in clean["services"] if s["mode"] == "nat"][0]
    # A remapped port is kept per real server; the service's own port stays the VIP's.
    assert nat["port"] == 8080 and {rs["port"] for rs in nat["realservers"]} == {80}


def test_host_and_hosts_are_mutually_exclusive():
    result = run_action(os.path.join(INVENTORIES, "mixed", "hosts.yml"), host="dr1", hosts=["dr1"])
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_director_groups_from_hostvars_and_option():
    path = os.path.join(INVENTORIES, "nat", "hosts.yml")
    result = run_action(path)
    assert not result.get("failed"), result
    assert result["director_groups"] == [{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51,
                                          "vips": ["203.0.113.30/32"], "dip": "192.168.10.1/24", "sync": True}]
    vrrp = result["host_views"]["lb2"]["director"]["keepalived"]["vrrp"]
    assert (vrrp["priority"], vrrp["unicast_peers"]) == (190, ["203.0.113.2"])
    assert result["services"][0]["health_check"] is None
    # The option replaces the inventory's value: without a group, two directors are an error.
    result = run_action(path, director_groups=[], fail_on_error=False)
    assert [f["rule"] for f in result["findings"]] == ["ha-group"]
    assert result["director_groups"] == []


def test_director_groups_must_agree_and_priority_is_read(inventory_dir):
    path = inventory_dir("""\
        all:
          vars:
            lvs_services: [{name: web, vip: 10.0.0.10, port: 80, mode: dr, realservers: [{host: r1}]}]
            lvs_director_groups: [{name: edge, directors: [d1, d2], virtual_router_id: "{{ vrid }}"}]
            vrid: 51
          children:
            lvs_directors:
              vars: {lvs_director_vip_interface: eth1}
              hosts:
                d1: {lvs_address: 10.0.0.1/24, lvs_director_priority: "{{ 150 }}"}
                d2:
                  lvs_address: 10.0.0.2/24
                  lvs_director_groups: [{name: edge, directors: [d1, d2], virtual_router_id: 52}]
            lvs_dr_realservers:
              hosts:
                r1: {lvs_address: 10.0.0.11/24}
        """)
    result = run_action(path, fail_on_error=False)
    assert [f["message"] for f in result["findings"]] == [
        "host d2: sees a different lvs_director_groups than host d1; lvs_director_groups is cluster-wide, define it "
        "once (group_vars/all) and not per host or group [schema]"]
    assert result["host_views"]["d1"]["director"]["keepalived"]["vrrp"]["priority"] == 150
    assert result["host_views"]["d1"]["director"]["keepalived"]["vrrp"]["virtual_router_id"] == 51
