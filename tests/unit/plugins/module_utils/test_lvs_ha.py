# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Director HA: director groups (VRRP), priorities and health checks, their rules and views."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._inet import PROBE_FWMARK_BASE, PROBE_FWMARK_COUNT
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_ha import advert_version, parse_advert_int, probe_marks
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import (
    cluster_view,
    group_list,
    host_view,
    service_list,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import Unresolved
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate

# front 10.0.0.0/24 (lb1 .1, lb2 .2 on eth1, dr1 .21, dr2 .22), back 192.168.10.0/24
# (floating DIP .1 on eth2, nat1 .31, nat2 .32).
DIRECTOR = {"lvs_director_vip_interface": "eth1", "lvs_director_internal_interface": "eth2",
            "lvs_director_internal_address": "192.168.10.1/24"}
HOSTVARS = {
    "lb1": dict(DIRECTOR, lvs_address="10.0.0.1/24"),
    "lb2": dict(DIRECTOR, lvs_address="10.0.0.2/24"),
    "dr1": {"lvs_address": "10.0.0.21/24"},
    "dr2": {"lvs_address": "10.0.0.22/24"},
    "nat1": {"lvs_address": "192.168.10.31/24"},
    "nat2": {"lvs_address": "192.168.10.32/24"},
}
GROUPS = {"all": list(HOSTVARS), "lvs_directors": ["lb1", "lb2"], "lvs_dr_realservers": ["dr1", "dr2"],
          "lvs_tun_realservers": [], "lvs_nat_realservers": ["nat1", "nat2"]}
SERVICES = [
    {"name": "web", "vip": "10.0.0.10", "port": 80, "mode": "dr",
     "realservers": [{"host": "dr2"}, {"host": "dr1", "weight": 2}],
     "health_check": {"type": "http", "path": "/healthz"}},
    {"name": "static", "vip": "10.0.0.10", "port": 443, "mode": "dr", "realservers": [{"host": "dr1"}]},
    {"name": "app", "vip": "10.0.0.30", "port": 8080, "mode": "nat", "scheduler": "rr",
     "realservers": [{"host": "nat1", "port": 80}, {"host": "nat2", "port": 80}]},
]
DIRECTOR_GROUPS = [{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51}]


class Pair(object):
    """A mutable copy of the HA pair inventory."""

    def __init__(self):
        self.services = copy.deepcopy(SERVICES)
        self.hostvars = copy.deepcopy(HOSTVARS)
        self.groups = copy.deepcopy(GROUPS)
        self.director_groups = copy.deepcopy(DIRECTOR_GROUPS)

    def service(self, name):
        return [s for s in self.services if s["name"] == name][0]

    def check(self, name, **check):
        self.service(name)["health_check"] = check

    def add_director(self, name, address, **hostvars):
        self.hostvars[name] = dict(DIRECTOR, lvs_address=address, **hostvars)
        self.groups["all"].append(name)
        self.groups["lvs_directors"].append(name)

    def run(self):
        return validate(self.services, self.hostvars, self.groups, director_groups=self.director_groups)


def rules(result):
    return sorted(set(f.rule for f in result.findings))


def only(result, rule):
    found = [f for f in result.findings if f.rule == rule]
    assert found, [f.message for f in result.findings]
    return found


def messages(result, rule):
    return [f.message for f in result.findings if f.rule == rule]


def test_pair_is_clean():
    assert [f.message for f in Pair().run().findings] == []


# -- defaults ---------------------------------------------------------------------------

def test_group_defaults_and_priority_by_position():
    pair = Pair()
    pair.add_director("lb3", "10.0.0.3/24")
    pair.director_groups[0]["directors"] = ["lb2", "lb1", "lb3"]
    result = pair.run()
    assert result.findings == []
    (group,) = result.model.director_groups
    assert (group.name, group.virtual_router_id, group.advert_int, group.preempt, group.sync,
            group.sync_interface) == ("edge", 51, 1, False, True, None)
    # First is highest: 200, 190, 180 by position in directors.
    assert group.priorities == {"lb2": 200, "lb1": 190, "lb3": 180}
    assert result.model.group_of["lb3"] is group


def test_explicit_priority_wins():
    pair = Pair()
    pair.hostvars["lb2"]["lvs_director_priority"] = 250
    result = pair.run()
    assert result.findings == []
    assert result.model.director_groups[0].priorities == {"lb1": 200, "lb2": 250}
    assert cluster_view(result.model)["lb2"]["director"]["keepalived"]["vrrp"]["priority"] == 250


def test_health_check_defaults():
    pair = Pair()
    pair.check("app", type="tcp")
    pair.check("static", type="tcp", via="rip", port=8443, interval=10, timeout=9, retries=0)
    services = dict((s["name"], s) for s in service_list(pair.run().model))
    assert services["web"]["health_check"] == {"type": "http", "port": None, "path": "/healthz", "status": 200,
                                               "interval": 3, "timeout": 1, "retries": 1, "via": "vip"}
    # NAT checks the real server at its own address by default.
    assert services["app"]["health_check"] == {"type": "tcp", "port": None, "path": None, "status": None,
                                               "interval": 3, "timeout": 1, "retries": 1, "via": "rip"}
    assert services["static"]["health_check"]["via"] == "rip"
    pair.service("static").pop("health_check")
    assert dict((s["name"], s) for s in service_list(pair.run().model))["static"]["health_check"] is None


@pytest.mark.parametrize("value,expected,version", [
    (1, 1, 2), (255, 255, 2), (2.0, 2, 2), (0.5, 0.5, 3), (0.01, 0.01, 3), (40.95, 40.95, 3), (1.25, 1.25, 3),
    (0, None, None), (256, None, None), (0.001, None, None), (41.5, None, None), (True, None, None),
    ("1", None, None), (float("nan"), None, None),
])
def test_advert_int(value, expected, version):
    assert parse_advert_int(value) == expected
    if expected is not None:
        assert advert_version(expected) == version
        assert advert_version(expected, 6) == 3


# -- ha-group -------------------------------------------------------------------------------

def test_two_directors_without_a_group():
    pair = Pair()
    pair.director_groups = None
    result = pair.run()
    assert rules(result) == ["ha-group"]
    assert [f.service for f in result.findings] == ["web", "static", "app"]
    assert result.findings[0].message == (
        "service web (10.0.0.10:80/tcp dr): directors lb1, lb2 are not all in one director group (lb1 in no "
        "group, lb2 in no group); two directors without a director group would both hold the VIP, so list them "
        "in one lvs_director_groups entry [ha-group]")
    assert result.findings[0].severity == "error"


def test_service_served_by_part_of_its_group():
    pair = Pair()
    pair.service("static")["directors"] = ["lb1"]
    (finding,) = only(pair.run(), "ha-group")
    assert finding.message == (
        "service static (10.0.0.10:443/tcp dr): is served by lb1 of director group edge but not by lb2; the "
        "group's VRRP instance moves every VIP of its directors to the master, so the service must list all of "
        "the group's directors [ha-group]")


def test_directors_of_two_groups():
    pair = Pair()
    pair.add_director("lb3", "10.0.0.3/24")
    pair.add_director("lb4", "10.0.0.4/24")
    pair.director_groups.append({"name": "core", "directors": ["lb3", "lb4"], "virtual_router_id": 52})
    pair.service("static")["directors"] = ["lb1", "lb3"]
    for name in ("web", "app"):
        pair.service(name)["directors"] = ["lb1", "lb2"]
    (finding,) = only(pair.run(), "ha-group")
    assert "lb1 in director group edge, lb3 in director group core" in finding.message
    pair.service("static")["directors"] = ["lb3", "lb4"]
    assert pair.run().findings == []


def test_group_shape():
    pair = Pair()
    pair.add_director("lb3", "10.0.0.3/24")
    pair.hostvars["ghost"] = {"lvs_address": "10.0.0.9/24"}
    pair.director_groups.append({"name": "solo", "directors": ["lb3"], "virtual_router_id": 52})
    pair.director_groups.append({"name": "again", "directors": ["lb2", "ghost"], "virtual_router_id": 53})
    for svc in pair.services:
        svc["directors"] = ["lb1", "lb2"]
    result = pair.run()
    assert rules(result) == ["ha-group"]
    assert messages(result, "ha-group") == [
        "director group solo: has 1 director(s); VRRP needs at least two, so add a director or remove the group "
        "(a single director needs none) [ha-group]",
        "host lb2, director group again: is already a director of director group edge; a director runs one VRRP "
        "instance, so it belongs to at most one group [ha-group]",
        "host ghost, director group again: is in the directors of this group but not in group lvs_directors; add "
        "it there so the director role configures it, or remove it from the group [ha-group]",
    ]
    assert [f.host for f in result.findings] == [None, "lb2", "ghost"]


def test_single_director_needs_no_group():
    pair = Pair()
    pair.groups["lvs_directors"] = ["lb1"]
    pair.director_groups = None
    for svc in pair.services:
        svc["directors"] = ["lb1"]
    result = pair.run()
    assert result.findings == []
    director = cluster_view(result.model)["lb1"]["director"]
    assert director["vips"] == ["10.0.0.10/32", "10.0.0.30/32"]
    assert director["internal_address"] == "192.168.10.1/24"
    # The health-checked service still goes to keepalived, without VRRP.
    assert director["keepalived"]["vrrp"] is None
    assert [vs["name"] for vs in director["keepalived"]["virtual_servers"]] == ["web"]
    pair.service("web").pop("health_check")
    assert cluster_view(pair.run().model)["lb1"]["director"]["keepalived"] is None


# -- schema of lvs_director_groups ----------------------------------------------------------

@pytest.mark.parametrize("groups,expected", [
    ("edge", "lvs_director_groups: must be a list of director groups {name, directors, virtual_router_id}, got "
             "string [schema]"),
    (Unresolved("'x' is undefined"), "lvs_director_groups: could not be templated ('x' is undefined); fix the "
                                     "variable [schema]"),
    ([None], "lvs_director_groups[0]: must be a mapping with name, directors and virtual_router_id, got null "
             "[schema]"),
    ([{"directors": ["lb1", "lb2"], "virtual_router_id": 51}], "lvs_director_groups[0]: name is required [schema]"),
    ([{"name": "a b", "directors": ["lb1", "lb2"], "virtual_router_id": 51}], "name 'a b' must be 1-64 letters"),
    ([{"name": "edge", "directors": "lb1", "virtual_router_id": 51}],
     "director group edge: directors must be a list of at least two lvs_directors host names, got string "
     "[schema]"),
    ([{"name": "edge", "directors": ["lb1", 2], "virtual_router_id": 51}], "directors entry 2 must be"),
    ([{"name": "edge", "directors": ["lb1", "lb2", "lb1"], "virtual_router_id": 51}], "director lb1 is listed twice"),
    ([{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "vrid": 1}],
     "director group edge: unknown key(s) vrid; allowed: name, directors, virtual_router_id, advert_int, preempt, "
     "sync, sync_interface [schema]"),
    ([{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "advert_int": 0.001}],
     "advert_int 0.001 must be an integer from 1 to 255 seconds, or a number with at most 2 decimals"),
    ([{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "preempt": "no"}],
     "preempt must be true or false, got string"),
    ([{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "sync": 1}],
     "sync must be true or false, got integer"),
    ([{"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51, "sync_interface": "eth 1"}],
     "sync_interface 'eth 1' is not a valid Linux interface name"),
    (DIRECTOR_GROUPS + DIRECTOR_GROUPS, "lvs_director_groups[1]: name edge is already used by "
                                        "lvs_director_groups[0]; director group names must be unique [schema]"),
])
def test_schema_director_groups(groups, expected):
    pair = Pair()
    pair.director_groups = groups
    result = pair.run()
    found = messages(result, "schema")
    assert any(expected in m for m in found), [f.message for f in result.findings]


def test_broken_group_entry_does_not_blame_its_services():
    pair = Pair()
    pair.director_groups[0]["directors"] = ["lb1", "lb2", 7]
    assert rules(pair.run()) == ["schema"]


# -- ha-vrid ----------------------------------------------------------------------------------

@pytest.mark.parametrize("vrid,expected", [
    (None, "director group edge: virtual_router_id is required: the VRRP id (1-255) of the group, unique among "
           "the groups on its segment [ha-vrid]"),
    (0, "director group edge: virtual_router_id 0 must be an integer from 1 to 255 [ha-vrid]"),
    (256, "virtual_router_id 256 must be an integer from 1 to 255"),
    ("51", "virtual_router_id '51' must be"),
    (True, "virtual_router_id true must be"),
])
def test_vrid_range(vrid, expected):
    pair = Pair()
    if vrid is None:
        del pair.director_groups[0]["virtual_router_id"]
    else:
        pair.director_groups[0]["virtual_router_id"] = vrid
    result = pair.run()
    assert rules(result) == ["ha-vrid"]
    assert expected in result.findings[0].message


def _second_group(pair, vrid, front="10.0.0"):
    pair.add_director("lb3", "%s.3/24" % front)
    pair.add_director("lb4", "%s.4/24" % front)
    pair.director_groups.append({"name": "core", "directors": ["lb3", "lb4"], "virtual_router_id": vrid})
    for svc in pair.services:
        svc["directors"] = ["lb1", "lb2"]


def test_vrid_unique_on_a_segment():
    pair = Pair()
    _second_group(pair, 51)
    (finding,) = only(pair.run(), "ha-vrid")
    assert finding.message == (
        "host lb3, director group core: virtual_router_id 51 is also director group edge's, whose director lb1 "
        "shares this director's segment; VRRP tells groups on a segment apart by this id, so give each its own "
        "[ha-vrid]")
    pair.director_groups[1]["virtual_router_id"] = 52
    assert pair.run().findings == []


def test_same_vrid_on_other_segments_passes():
    pair = Pair()
    _second_group(pair, 51, front="10.0.5")
    assert pair.run().findings == []


# -- ha-priority ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 255, "200", 1.5, True, Unresolved("'p' is undefined")])
def test_priority_range(value):
    pair = Pair()
    pair.hostvars["lb2"]["lvs_director_priority"] = value
    result = pair.run()
    assert rules(result) == ["ha-priority"]
    (finding,) = result.findings
    assert finding.host == "lb2" and finding.message.startswith("host lb2: lvs_director_priority ")


def test_priority_bounds_pass():
    pair = Pair()
    pair.hostvars["lb1"]["lvs_director_priority"] = 254
    pair.hostvars["lb2"]["lvs_director_priority"] = 1
    assert pair.run().findings == []


def test_same_effective_priority():
    pair = Pair()
    pair.hostvars["lb2"]["lvs_director_priority"] = 200  # lb1 defaults to 200
    (finding,) = only(pair.run(), "ha-priority")
    assert finding.message == (
        "host lb2, director group edge: VRRP priority 200 is also director lb1's; give each director of the group "
        "its own lvs_director_priority (default: 200, 190, ... by position in directors) [ha-priority]")


# -- ha-same-segment --------------------------------------------------------------------------

def test_directors_on_two_segments():
    pair = Pair()
    pair.hostvars["lb2"]["lvs_address"] = "10.0.1.2/24"
    for svc in pair.services:
        svc["realservers"] = [rs for rs in svc["realservers"] if svc["mode"] == "nat"]
    result = pair.run()
    (finding,) = only(result, "ha-same-segment")
    assert finding.message == (
        "host lb2, director group edge: lvs_address 10.0.1.2/24 and director lb1 (10.0.0.1/24) are not on one "
        "subnet; VRRP moves a VIP by gratuitous ARP, which only reaches the VIP's segment, so put the group's "
        "directors on one segment [ha-same-segment]")
    assert rules(result) == ["ha-same-segment", "no-realservers"]


# -- health-check -----------------------------------------------------------------------------

@pytest.mark.parametrize("service,check,expected", [
    ("web", "http", "health_check must be a mapping {type, port, path, status, interval, timeout, retries, via}, "
                    "got string"),
    ("web", {"type": "http", "url": "/"}, "health_check has unknown key(s) url; allowed: type, port, path"),
    ("web", {}, "health_check type null must be one of tcp, http"),
    ("web", {"type": "icmp"}, "health_check type 'icmp' must be one of tcp, http"),
    ("web", {"type": "tcp", "path": "/"}, "health_check path is only for type http"),
    ("web", {"type": "tcp", "status": 204}, "health_check status is only for type http"),
    ("web", {"type": "http", "path": "healthz"}, "health_check path 'healthz' must be a URL path starting with '/'"),
    ("web", {"type": "http", "status": 99}, "health_check status 99 must be an HTTP status code from 100 to 599"),
    ("web", {"type": "tcp", "port": 0}, "health_check port 0 must be an integer from 1 to 65535"),
    ("web", {"type": "tcp", "port": 65536}, "health_check port 65536 must be"),
    ("web", {"type": "tcp", "interval": 0}, "health_check interval 0 must be an integer number of seconds >= 1"),
    ("web", {"type": "tcp", "timeout": "1"}, "health_check timeout '1' must be an integer number of seconds >= 1"),
    ("web", {"type": "tcp", "retries": -1}, "health_check retries -1 must be an integer >= 0"),
    ("web", {"type": "tcp", "timeout": 3}, "health_check timeout 3 must be less than interval 3"),
    ("web", {"type": "tcp", "via": "dip"}, "health_check via 'dip' must be one of vip, rip"),
    ("app", {"type": "tcp", "via": "vip"},
     "service app (10.0.0.30:8080/tcp nat): health_check via vip on a NAT service: NAT already reaches each real "
     "server at its own address through the director, so rip is the forwarding path; set via: rip or remove via "
     "[health-check]"),
])
def test_health_check_invalid(service, check, expected):
    pair = Pair()
    pair.service(service)["health_check"] = check
    result = pair.run()
    assert rules(result) == ["health-check"]
    assert any(expected in m for m in messages(result, "health-check")), messages(result, "health-check")
    # An invalid check is left out: the service stays static.
    assert result.model.service(service).health_check is None


def test_http_check_on_udp():
    pair = Pair()
    pair.services.append({"name": "dns", "vip": "10.0.0.53", "port": 53, "protocol": "udp", "mode": "dr",
                          "realservers": [{"host": "dr1"}], "health_check": {"type": "http"}})
    (finding,) = only(pair.run(), "health-check")
    assert "type http on a UDP service: HTTP runs over TCP" in finding.message
    pair.services[-1]["health_check"] = {"type": "tcp"}
    assert pair.run().findings == []


def _fwmark_service(pair, **changes):
    svc = {"name": "shop", "fwmark": 42, "vip": "10.0.0.20", "mode": "dr",
           "realservers": [{"host": "dr1"}, {"host": "dr2"}], "health_check": {"type": "tcp", "port": 443}}
    svc.update(changes)
    pair.services.append(dict((k, v) for k, v in svc.items() if v is not None))
    return pair.services[-1]


def test_fwmark_check_needs_a_port_and_a_vip():
    pair = Pair()
    svc = _fwmark_service(pair, health_check={"type": "tcp"})
    assert messages(pair.run(), "health-check") == [
        "service shop (fwmark 42 dr): health_check port is required on a fwmark service: its real servers have no "
        "port of their own to check [health-check]"]
    svc["health_check"] = {"type": "tcp", "port": 443}
    del svc["vip"]
    assert messages(pair.run(), "health-check") == [
        "service shop (fwmark 42 dr): health_check via vip needs the service's vip: a fwmark service without vip "
        "has no address to check through; add vip or set via: rip [health-check]"]
    svc["vip"] = "10.0.0.20"
    assert pair.run().findings == []


@pytest.mark.parametrize("mark,bad", [(PROBE_FWMARK_BASE, True), (PROBE_FWMARK_BASE + PROBE_FWMARK_COUNT - 1, True),
                                      (PROBE_FWMARK_BASE - 1, False), (PROBE_FWMARK_BASE + PROBE_FWMARK_COUNT, False)])
def test_reserved_probe_marks(mark, bad):
    pair = Pair()
    # Reserved whether or not any check exists.
    _fwmark_service(pair, fwmark=mark, health_check=None)
    result = pair.run()
    if bad:
        (finding,) = only(result, "health-check")
        assert finding.message == (
            "service shop (fwmark %d dr): fwmark %d lies in 2147418112-2147483647, the marks lvs.cluster reserves "
            "for health-check probes; pick a mark outside that range [health-check]" % (mark, mark))
    else:
        assert result.findings == []


# -- health-check-path ------------------------------------------------------------------------

def test_via_rip_on_dr_warns():
    pair = Pair()
    pair.check("web", type="tcp", via="rip")
    result = pair.run()
    (finding,) = only(result, "health-check-path")
    assert finding.severity == "warning" and result.errors == []
    assert finding.message == (
        "service web (10.0.0.10:80/tcp dr): health_check via rip on a DR service: a check sent to the real "
        "server's own address passes even when its VIP or ARP setup is broken, while the forwarding path "
        "black-holes the traffic; use via: vip [health-check-path]")
    pair.check("web", type="tcp", via="vip")
    assert pair.run().findings == []


def test_via_rip_on_nat_is_the_path():
    pair = Pair()
    pair.check("app", type="tcp", via="rip")
    assert pair.run().findings == []


# -- all at once ------------------------------------------------------------------------------

def test_all_ha_findings_at_once():
    pair = Pair()
    pair.director_groups[0]["virtual_router_id"] = 0
    pair.hostvars["lb2"]["lvs_director_priority"] = 300
    pair.check("web", type="tcp", timeout=5)
    pair.check("static", type="tcp", via="rip")
    pair.director_groups.append({"name": "solo", "directors": ["lb1"], "virtual_router_id": 52})
    result = pair.run()
    assert rules(result) == ["ha-group", "ha-priority", "ha-vrid", "health-check", "health-check-path"]
    assert all(f.message.endswith("[%s]" % f.rule) for f in result.findings)


# -- views ------------------------------------------------------------------------------------

def test_pair_view():
    pair = Pair()
    pair.hostvars["lb2"]["lvs_director_priority"] = 100
    model = pair.run().model
    views = cluster_view(model)
    lb1 = views["lb1"]["director"]
    # keepalived owns the VIPs and the DIP; forwarding stays the role's.
    assert (lb1["vips"], lb1["internal_address"], lb1["ip_forward"]) == ([], None, True)
    assert lb1["services"] == ["app", "static", "web"]
    # Only services without health_check stay static (lvs.cluster.ipvs).
    assert [(s["address"], s["port"]) for s in lb1["ipvs_services"]] == [("10.0.0.10", 443), ("10.0.0.30", 8080)]
    keepalived = lb1["keepalived"]
    assert keepalived["vrrp"] == {
        "group": "edge", "instance": "lvs_edge", "interface": "eth1", "virtual_router_id": 51, "advert_int": 1,
        "version": 2, "priority": 200, "preempt": False, "unicast_src": "10.0.0.1", "unicast_peers": ["10.0.0.2"],
        "addresses": [{"address": "10.0.0.10/32", "device": "eth1", "family": 4},
                      {"address": "10.0.0.30/32", "device": "eth1", "family": 4},
                      {"address": "192.168.10.1/24", "device": "eth2", "family": 4}],
        "sync": True, "sync_interface": "eth1", "sync_id": 51, "track_interfaces": ["eth1", "eth2"]}
    base = PROBE_FWMARK_BASE
    assert keepalived["virtual_servers"] == [{
        "protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": None, "scheduler": "wlc",
        "persistence_timeout": None, "name": "web",
        "check": {"type": "http", "port": None, "path": "/healthz", "status": 200, "interval": 3, "timeout": 1,
                  "retries": 1, "via": "vip"},
        "realservers": [
            {"address": "10.0.0.21", "port": 80, "weight": 2, "forward": "dr", "host": "dr1", "check_port": 80,
             "connect_ip": "10.0.0.10", "fwmark": base, "bindto": "10.0.0.1"},
            {"address": "10.0.0.22", "port": 80, "weight": 1, "forward": "dr", "host": "dr2", "check_port": 80,
             "connect_ip": "10.0.0.10", "fwmark": base + 1, "bindto": "10.0.0.1"}]}]
    assert keepalived["probes"] == [
        {"fwmark": base, "family": "inet", "address": "10.0.0.21", "forward": "dr", "host": "dr1"},
        {"fwmark": base + 1, "family": "inet", "address": "10.0.0.22", "forward": "dr", "host": "dr2"}]
    assert keepalived["owned"] == [["tcp", "10.0.0.10", 80], ["fwm", "inet", base], ["fwm", "inet", base + 1]]
    assert keepalived["checker_sysctls"] == {"accept_local": 1}
    lb2 = views["lb2"]["director"]["keepalived"]
    assert (lb2["vrrp"]["priority"], lb2["vrrp"]["unicast_src"], lb2["vrrp"]["unicast_peers"]) == (
        100, "10.0.0.2", ["10.0.0.1"])
    # Same marks on every director; each binds its own address.
    assert lb2["probes"] == keepalived["probes"]
    assert [rs["bindto"] for rs in lb2["virtual_servers"][0]["realservers"]] == ["10.0.0.2", "10.0.0.2"]
    assert host_view(model, "lb2")["director"] == views["lb2"]["director"]
    # Real servers are unchanged by HA.
    assert views["dr1"]["dr_realserver"]["vips"] == ["10.0.0.10/32"]
    assert views["nat1"]["nat_realserver"]["gateway"] == "192.168.10.1"


def test_view_variants():
    pair = Pair()
    pair.director_groups[0].update(advert_int=0.5, preempt=True, sync=False, sync_interface="eth3")
    pair.check("app", type="tcp", port=81, timeout=2)
    pair.check("web", type="tcp", via="rip")
    director = cluster_view(pair.run().model)["lb1"]["director"]
    vrrp = director["keepalived"]["vrrp"]
    assert (vrrp["advert_int"], vrrp["version"], vrrp["preempt"], vrrp["sync"], vrrp["sync_interface"]) == (
        0.5, 3, True, False, "eth3")
    servers = director["keepalived"]["virtual_servers"]
    assert [s["name"] for s in servers] == ["web", "app"]
    assert [(rs["check_port"], rs["connect_ip"], rs["fwmark"], rs["bindto"]) for rs in servers[1]["realservers"]] \
        == [(81, None, None, None), (81, None, None, None)]
    assert servers[0]["realservers"][0]["check_port"] == 80
    # No via-vip check: no probes, no accept_local.
    assert (director["keepalived"]["probes"], director["keepalived"]["checker_sysctls"]) == ([], {})
    assert director["keepalived"]["owned"] == [["tcp", "10.0.0.10", 80], ["tcp", "10.0.0.30", 8080]]
    assert director["ipvs_services"][0]["port"] == 443


def test_dip_on_the_vip_interface_is_not_tracked_twice():
    pair = Pair()
    for name in ("lb1", "lb2"):
        del pair.hostvars[name]["lvs_director_internal_interface"]
    vrrp = cluster_view(pair.run().model)["lb1"]["director"]["keepalived"]["vrrp"]
    assert vrrp["addresses"][-1] == {"address": "192.168.10.1/24", "device": "eth1", "family": 4}
    assert vrrp["track_interfaces"] == ["eth1"]


def test_ipv6_group_is_vrrp3():
    pair = Pair()
    pair.services = [{"name": "web6", "vip": "2001:db8::10", "port": 80, "mode": "dr",
                      "realservers": [{"host": "dr1"}], "health_check": {"type": "tcp"}}]
    for name, host in (("lb1", 1), ("lb2", 2), ("dr1", 21)):
        pair.hostvars[name] = {"lvs_address": "2001:db8::%d/64" % host, "lvs_director_vip_interface": "eth1"}
    result = pair.run()
    assert result.findings == []
    keepalived = cluster_view(result.model)["lb1"]["director"]["keepalived"]
    assert keepalived["vrrp"]["version"] == 3
    assert keepalived["vrrp"]["addresses"] == [{"address": "2001:db8::10/128", "device": "eth1", "family": 6}]
    assert keepalived["probes"] == [{"fwmark": PROBE_FWMARK_BASE, "family": "inet6", "address": "2001:db8::21",
                                     "forward": "dr", "host": "dr1"}]
    assert keepalived["owned"][-1] == ["fwm", "inet6", PROBE_FWMARK_BASE]


def test_probe_marks_are_cluster_wide_and_sorted():
    pair = Pair()
    pair.groups["lvs_tun_realservers"] = ["dr2"]
    # A second service through the same real servers shares their probes; a TUN path is another probe.
    pair.check("static", type="tcp")
    pair.services.append({"name": "tun", "vip": "10.0.0.40", "port": 80, "mode": "tun",
                          "realservers": [{"host": "dr2"}], "health_check": {"type": "tcp"}})
    result = pair.run()
    assert [f.rule for f in result.errors] == []
    marks = probe_marks(result.model)
    a21, a22 = 167772181, 167772182
    assert marks == {("inet", a21, "dr"): PROBE_FWMARK_BASE, ("inet", a22, "dr"): PROBE_FWMARK_BASE + 1,
                     ("inet", a22, "tun"): PROBE_FWMARK_BASE + 2}
    lb1 = cluster_view(result.model)["lb1"]["director"]["keepalived"]
    assert [p["fwmark"] - PROBE_FWMARK_BASE for p in lb1["probes"]] == [0, 1, 2]
    assert [vs["name"] for vs in lb1["virtual_servers"]] == ["web", "static", "tun"]
    assert [rs["fwmark"] - PROBE_FWMARK_BASE for rs in lb1["virtual_servers"][1]["realservers"]] == [0]


def test_group_list():
    pair = Pair()
    pair.add_director("lb3", "10.0.0.3/24")
    pair.add_director("lb4", "10.0.0.4/24")
    pair.director_groups.append({"name": "idle", "directors": ["lb3", "lb4"], "virtual_router_id": 52})
    for svc in pair.services:
        svc["directors"] = ["lb1", "lb2"]
    result = pair.run()
    assert result.findings == []
    assert group_list(result.model) == [
        {"name": "edge", "directors": ["lb1", "lb2"], "virtual_router_id": 51,
         "vips": ["10.0.0.10/32", "10.0.0.30/32"], "dip": "192.168.10.1/24", "sync": True},
        {"name": "idle", "directors": ["lb3", "lb4"], "virtual_router_id": 52, "vips": [], "dip": None, "sync": True}]
    # A group that serves no service has nothing to float: its directors have no director view.
    assert cluster_view(result.model)["lb3"]["director"] is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=False) |
    st.sampled_from(["", "edge", "lb1", "lb2", "eth1", "tcp", "http", "vip", "rip", "/"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "directors", "virtual_router_id", "advert_int", "preempt", "sync",
                         "sync_interface", "type", "port", "path", "status", "interval", "timeout", "retries",
                         "via", "x"]), inner, max_size=6),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(groups=JSON, check=JSON, priority=JSON)
def test_garbage_never_raises(groups, check, priority):
    pair = Pair()
    pair.director_groups = groups
    pair.service("web")["health_check"] = check
    pair.hostvars["lb1"]["lvs_director_priority"] = priority
    result = pair.run()
    cluster_view(result.model)
    group_list(result.model)
    service_list(result.model)
    for finding in result.findings:
        assert finding.message.endswith("[%s]" % finding.rule)
