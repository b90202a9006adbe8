# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every rule of lvs.cluster.validate: a failing and a passing case each."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import (
    RULES,
    findings_for_host,
    summarize,
    validate,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab


def run(lab, allow=False):
    return validate(*lab.args(), allow_director_as_realserver=allow, director_groups=lab.director_groups)


def rules(result, severity=None):
    return sorted(set(f.rule for f in result.findings if severity is None or f.severity == severity))


def only(result, rule):
    found = [f for f in result.findings if f.rule == rule]
    assert found, [f.message for f in result.findings]
    return found


def test_lab_is_clean():
    result = run(Lab())
    assert result.findings == []


def test_every_rule_is_documented():
    with open(__file__.replace("tests/unit/plugins/module_utils/test_lvs_rules.py", "docs/rules.md")) as handle:
        text = handle.read()
    for rule in RULES:
        assert "`%s`" % rule in text, rule


# -- dr-same-segment -----------------------------------------------------------------

def test_dr_same_segment_fails_off_segment():
    lab = Lab()
    lab.hostvars["dr2"]["lvs_address"] = "10.0.9.12/24"
    (finding,) = only(run(lab), "dr-same-segment")
    assert finding.message == (
        "host dr2, service web-dr (10.0.0.10:80/tcp dr): real server 10.0.9.12/24 and director director1 "
        "(10.0.0.1/24) are not on one subnet; DR rewrites only the destination MAC, so put the real server on "
        "the director's segment or use mode tun [dr-same-segment]")
    assert (finding.host, finding.service, finding.severity) == ("dr2", "web-dr", "error")


def test_dr_same_segment_needs_both_prefixes():
    lab = Lab()
    # 10.0.0.12 is inside the director's /24, but the real server's /32 does
    # not contain the director: its kernel would route instead of ARP.
    lab.hostvars["dr2"]["lvs_address"] = "10.0.0.12/32"
    assert rules(run(lab)) == ["dr-same-segment"]


def test_dr_same_segment_passes_with_wider_common_prefix():
    lab = Lab()
    lab.hostvars["dr2"]["lvs_address"] = "10.0.0.12/16"
    assert rules(run(lab)) == []


# -- port remap ------------------------------------------------------------------------

@pytest.mark.parametrize("service,host,rule", [("web-dr", "dr1", "dr-no-port-remap"),
                                               ("web-tun", "tun1", "tun-no-port-remap")])
def test_no_port_remap(service, host, rule):
    lab = Lab()
    lab.service(service)["realservers"][0]["port"] = 8080
    (finding,) = only(run(lab), rule)
    assert finding.host == host and finding.service == service
    assert "real server port 8080 differs from service port 80" in finding.message
    assert rules(run(lab)) == [rule]


@pytest.mark.parametrize("service", ["web-dr", "web-tun"])
def test_same_port_given_explicitly_passes(service):
    lab = Lab()
    lab.service(service)["realservers"][0]["port"] = 80
    assert run(lab).findings == []


def test_nat_may_remap_ports():
    assert Lab().service("web-nat")["realservers"][0]["port"] != Lab().service("web-nat")["port"]
    assert run(Lab()).findings == []


# -- tun-same-segment --------------------------------------------------------------------

def test_tun_same_segment_warns():
    lab = Lab()
    lab.hostvars["tun1"]["lvs_address"] = "10.0.0.21/24"
    result = run(lab)
    (finding,) = only(result, "tun-same-segment")
    assert finding.severity == "warning" and finding.host == "tun1"
    assert result.errors == []
    assert "20-byte IPIP overhead" in finding.message


def test_tun_other_segment_passes():
    assert "tun-same-segment" not in rules(run(Lab()))


# -- nat-gateway-is-dip -------------------------------------------------------------------

def test_nat_wrong_gateway():
    lab = Lab()
    lab.hostvars["nat1"]["lvs_gateway"] = "192.168.10.254"
    (finding,) = only(run(lab), "nat-gateway-is-dip")
    assert finding.message == (
        "host nat1, service web-nat (10.0.0.30:8080/tcp nat): lvs_gateway 192.168.10.254 is not the DIP "
        "192.168.10.1; NAT replies must return through the director, so set lvs_gateway to 192.168.10.1 or "
        "remove it [nat-gateway-is-dip]")


def test_nat_realserver_outside_dip_subnet():
    lab = Lab()
    lab.hostvars["nat2"]["lvs_address"] = "192.168.11.32/24"
    (finding,) = only(run(lab), "nat-gateway-is-dip")
    assert finding.host == "nat2" and "not in the DIP subnet 192.168.10.0/24" in finding.message


def test_nat_director_without_dip():
    lab = Lab()
    del lab.hostvars["director1"]["lvs_director_internal_address"]
    result = run(lab)
    (finding,) = only(result, "nat-gateway-is-dip")
    assert finding.host == "director1" and "has no lvs_director_internal_address" in finding.message
    assert rules(result) == ["nat-gateway-is-dip"]


def test_nat_directors_must_share_the_dip():
    lab = Lab()
    lab.add_host("director2", "lvs_directors", lvs_address="10.0.0.2/24", lvs_director_vip_interface="eth1",
                 lvs_director_internal_address="192.168.10.2/24")
    # Two directors of one service are a director group (rule ha-group).
    lab.director_groups = [{"name": "edge", "directors": ["director1", "director2"], "virtual_router_id": 51}]
    (finding,) = only(run(lab), "nat-gateway-is-dip")
    assert finding.host == "director2" and "share one floating DIP" in finding.message
    lab.hostvars["director2"]["lvs_director_internal_address"] = "192.168.10.1/24"
    assert run(lab).findings == []


def test_nat_realserver_with_two_gateways():
    lab = Lab()
    lab.add_host("director2", "lvs_directors", lvs_address="10.0.0.2/24", lvs_director_vip_interface="eth1",
                 lvs_director_internal_address="192.168.10.2/24")
    lab.service("web-nat")["directors"] = ["director1"]
    lab.services.append({"name": "api-nat", "vip": "10.0.0.31", "port": 80, "mode": "nat",
                         "directors": ["director2"], "realservers": [{"host": "nat2"}]})
    for svc in lab.services[:2]:
        svc["directors"] = ["director1"]
    (finding,) = only(run(lab), "nat-gateway-is-dip")
    assert finding.host == "nat2" and finding.service == "api-nat"
    assert "a host has one default gateway" in finding.message


def test_nat_gateway_defaults_to_dip():
    lab = Lab()
    assert "lvs_gateway" not in lab.hostvars["nat2"]
    assert run(lab).findings == []


# -- vip-collision --------------------------------------------------------------------------

def test_vip_equals_host_address():
    lab = Lab()
    lab.service("web-tun")["vip"] = "10.0.1.22"
    (finding,) = only(run(lab), "vip-collision")
    assert finding.host == "tun2" and finding.message.startswith(
        "host tun2, service web-tun (10.0.1.22:80/tcp tun): VIP 10.0.1.22 is this host's lvs_address")


def test_vip_equals_dip():
    lab = Lab()
    lab.service("web-dr")["vip"] = "192.168.10.1"
    (finding,) = only(run(lab), "vip-collision")
    assert finding.host == "director1" and "DIP" in finding.message


def test_vip_on_lo_and_tunl0_of_one_host():
    lab = Lab()
    lab.groups["lvs_tun_realservers"].append("dr1")
    lab.services.append({"name": "web-tun-443", "vip": "10.0.0.10", "port": 443, "mode": "tun",
                         "realservers": [{"host": "dr1"}]})
    result = run(lab)
    (finding,) = only(result, "vip-collision")
    assert finding.host == "dr1" and finding.service == "web-tun-443"
    assert "must sit on tunl0 here as TUN real server but service web-dr already needs it on lo" in finding.message
    # A TUN real server in the director's segment only earns the warning.
    assert rules(result, "error") == ["vip-collision"]


def test_same_vip_two_ports_same_mode_passes():
    lab = Lab()
    lab.services.append({"name": "web-dr-443", "vip": "10.0.0.10", "port": 443, "mode": "dr",
                         "realservers": [{"host": "dr1"}]})
    assert run(lab).findings == []


# -- duplicate-address ------------------------------------------------------------------------

def test_duplicate_address():
    lab = Lab()
    lab.hostvars["dr2"]["lvs_address"] = "10.0.0.11/24"
    (finding,) = only(run(lab), "duplicate-address")
    assert finding.host == "dr2" and "also host dr1's lvs_address" in finding.message
    assert finding.service is None and finding.message.startswith("host dr2: ")


def test_dip_equal_to_another_hosts_address():
    lab = Lab()
    lab.hostvars["director1"]["lvs_director_internal_address"] = "192.168.10.31/24"
    assert "duplicate-address" in rules(run(lab))


def test_one_armed_nat_dip_is_own_address():
    lab = Lab()
    lab.hostvars["director1"]["lvs_director_internal_address"] = "10.0.0.1/24"
    lab.hostvars["nat1"] = {"lvs_address": "10.0.0.31/24"}
    lab.hostvars["nat2"] = {"lvs_address": "10.0.0.32/24"}
    assert run(lab).findings == []


# -- role-membership --------------------------------------------------------------------------

def test_realserver_not_in_group():
    lab = Lab()
    lab.groups["lvs_dr_realservers"].remove("dr2")
    (finding,) = only(run(lab), "role-membership")
    assert finding.host == "dr2" and "not in group lvs_dr_realservers" in finding.message


def test_director_not_in_group():
    lab = Lab()
    lab.add_host("director2", None, lvs_address="10.0.0.2/24", lvs_director_vip_interface="eth1",
                 lvs_director_internal_address="192.168.10.1/24")
    lab.service("web-dr")["directors"] = ["director2"]
    result = run(lab)
    (finding,) = only(result, "role-membership")
    assert finding.host == "director2" and "not in group lvs_directors" in finding.message
    assert rules(result) == ["role-membership"]


# -- realserver-is-director -------------------------------------------------------------------

def _director_serves_itself(lab):
    lab.groups["lvs_dr_realservers"].append("director1")
    lab.service("web-dr")["realservers"].append({"host": "director1"})


def test_realserver_is_director():
    lab = Lab()
    _director_serves_itself(lab)
    (finding,) = only(run(lab), "realserver-is-director")
    assert finding.host == "director1" and "allow_director_as_realserver" in finding.message
    assert rules(run(lab)) == ["realserver-is-director"]


def test_realserver_is_director_allowed_per_service():
    lab = Lab()
    _director_serves_itself(lab)
    lab.service("web-dr")["allow_director_as_realserver"] = True
    assert run(lab).findings == []


def test_realserver_is_director_allowed_globally():
    lab = Lab()
    _director_serves_itself(lab)
    assert run(lab, allow=True).findings == []


# -- address-family ---------------------------------------------------------------------------

def test_vip_family_differs_from_hosts():
    lab = Lab()
    lab.service("web-dr")["vip"] = "2001:db8::10"
    result = run(lab)
    assert rules(result) == ["address-family"]
    hosts = sorted(f.host for f in result.findings)
    assert hosts == ["director1", "dr1", "dr2"]
    assert result.findings[0].message.startswith("host director1, service web-dr ([2001:db8::10]:80/tcp dr): ")


def test_dip_family_differs_for_nat():
    lab = Lab()
    lab.hostvars["director1"]["lvs_director_internal_address"] = "fd00:10::1/64"
    result = run(lab)
    assert rules(result) == ["address-family"]
    assert "DIP fd00:10::1/64 is IPv6 but the service is IPv4" in result.findings[0].message


def test_ipv6_cluster_passes():
    lab = Lab()
    lab.hostvars = {
        "director1": {"lvs_address": "2001:db8::1/64", "lvs_director_vip_interface": "eth1",
                      "lvs_director_internal_address": "fd00:10::1/64"},
        "dr1": {"lvs_address": "2001:db8::11/64"}, "dr2": {"lvs_address": "2001:db8::12/64"},
        "tun1": {"lvs_address": "2001:db8:1::21/64"}, "tun2": {"lvs_address": "2001:db8:1::22/64"},
        "nat1": {"lvs_address": "fd00:10::31/64", "lvs_gateway": "fd00:10::1"},
        "nat2": {"lvs_address": "fd00:10::32/64"},
    }
    for svc, vip in zip(lab.services, ("2001:db8::10", "2001:db8::20", "2001:db8::30")):
        svc["vip"] = vip
    result = run(lab)
    assert result.findings == []
    assert result.model.services[0].label == "service web-dr ([2001:db8::10]:80/tcp dr)"


def test_fwmark_without_vip_takes_family_of_its_hosts():
    lab = Lab()
    svc = lab.service("web-dr")
    del svc["vip"], svc["port"]
    svc["fwmark"] = 42
    result = run(lab)
    assert result.findings == []
    assert result.model.services[0].family == 4
    lab.hostvars["dr2"]["lvs_address"] = "2001:db8::12/64"
    result = run(lab)
    assert rules(result) == ["address-family"]
    assert result.findings[0].message.startswith("host dr2, service web-dr (fwmark 42 dr): ")


# -- no-realservers / weight-all-zero -------------------------------------------------------

def test_no_realservers_warns():
    lab = Lab()
    lab.service("web-dr")["realservers"] = []
    result = run(lab)
    (finding,) = only(result, "no-realservers")
    assert finding.severity == "warning" and finding.host is None
    assert finding.message.startswith("service web-dr (10.0.0.10:80/tcp dr): has no real servers")


def test_all_weights_zero_warns():
    lab = Lab()
    for rs in lab.service("web-tun")["realservers"]:
        rs["weight"] = 0
    (finding,) = only(run(lab), "weight-all-zero")
    assert finding.severity == "warning"
    lab.service("web-tun")["realservers"][0]["weight"] = 1
    assert run(lab).findings == []


# -- scoping and summary ------------------------------------------------------------------------

def test_findings_for_host_keeps_its_services_and_global_ones():
    lab = Lab()
    lab.hostvars["dr2"]["lvs_address"] = "10.0.9.12/24"
    lab.hostvars["nat1"]["lvs_gateway"] = "192.168.10.254"
    result = run(lab)
    assert len(result.errors) == 2
    assert [f.host for f in result.for_host("director1")] == ["dr2", "nat1"]
    assert [f.host for f in result.for_host("dr1")] == ["dr2"]
    assert result.for_host("tun1") == []
    assert findings_for_host(result.model, result.findings, "nat1")[0].rule == "nat-gateway-is-dip"


def test_summarize_strict():
    lab = Lab()
    lab.hostvars["tun1"]["lvs_address"] = "10.0.0.21/24"
    findings = run(lab).findings
    assert summarize(findings) == ([], False)
    lines, failing = summarize(findings, strict=True)
    assert failing and lines[0].endswith("[tun-same-segment]")


def test_all_errors_reported_at_once():
    lab = Lab()
    lab.hostvars["dr2"]["lvs_address"] = "10.0.9.12/24"
    lab.service("web-tun")["realservers"][0]["port"] = 81
    lab.hostvars["nat1"]["lvs_gateway"] = "192.168.10.254"
    lab.groups["lvs_dr_realservers"].remove("dr1")
    assert rules(run(lab), "error") == ["dr-same-segment", "nat-gateway-is-dip", "role-membership",
                                        "tun-no-port-remap"]
