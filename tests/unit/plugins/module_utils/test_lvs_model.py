# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing the inventory contract: typed model, and schema findings for bad input."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import cluster_view
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import (
    Unresolved,
    parse_inventory,
    resolve_services,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab


def messages(result, rule="schema"):
    return [f.message for f in result.findings if f.rule == rule]


def test_model_types_and_defaults():
    model, findings = parse_inventory(*Lab().args())
    assert findings == []
    web = model.service("web-dr")
    assert web.vip == ipaddress.ip_address("10.0.0.10")
    assert (web.protocol, web.scheduler, web.persistence_timeout, web.fwmark) == ("tcp", "wlc", None, None)
    assert web.directors == ["director1"]
    assert [(rs.host, rs.port, rs.weight) for rs in web.realservers] == [("dr1", 80, 1), ("dr2", 80, 1)]
    assert web.label == "service web-dr (10.0.0.10:80/tcp dr)"
    nat = model.service("web-nat")
    assert [(rs.port, rs.weight) for rs in nat.realservers] == [(80, 2), (80, 1)]
    d1 = model.hosts["director1"]
    assert str(d1.address) == "10.0.0.1/24" and str(d1.internal_address) == "192.168.10.1/24"
    assert d1.vip_interface == "eth1" and d1.internal_interface == "eth2"
    assert model.memberships["dr1"] == {"web-dr"}
    assert model.memberships["director1"] == {"web-dr", "web-tun", "web-nat"}


@pytest.mark.parametrize("services,expected", [
    (None, "lvs_services: is not defined; define the list of services once, normally in group_vars/all [schema]"),
    ("web", "lvs_services: must be a list of services, got string [schema]"),
    ({"name": "web"}, "lvs_services: must be a list of services, got mapping [schema]"),
    ([None], "lvs_services[0]: must be a mapping with name, vip, port, mode and realservers, got null [schema]"),
    ([["web"]], "lvs_services[0]: must be a mapping with name, vip, port, mode and realservers, got list [schema]"),
    ([Unresolved("'x' is undefined")],
     "lvs_services[0]: could not be templated ('x' is undefined); fix the variable [schema]"),
])
def test_malformed_services_container(services, expected):
    lab = Lab()
    result = validate(services, lab.hostvars, lab.groups)
    assert messages(result)[0] == expected


def _service(**changes):
    svc = {"name": "web", "vip": "10.0.0.50", "port": 80, "mode": "dr", "realservers": [{"host": "dr1"}]}
    svc.update(changes)
    return dict((k, v) for k, v in svc.items() if v is not Ellipsis)


@pytest.mark.parametrize("changes,expected", [
    ({"name": ...}, "lvs_services[3]: name is required [schema]"),
    ({"name": "web site"}, "must be 1-64 letters"),
    ({"name": ["web"]}, "name ['web'] must be"),
    ({"colour": "blue"}, "unknown key(s) colour; allowed: name, vip,"),
    ({"mode": "direct"}, "mode 'direct' must be one of dr, tun, nat"),
    ({"mode": None}, "mode null must be one of dr, tun, nat"),
    ({"protocol": "icmp"}, "protocol 'icmp' must be one of tcp, udp, sctp"),
    ({"scheduler": "random"}, "scheduler 'random' must be one of rr wrr"),
    ({"port": 0}, "port 0 must be an integer from 1 to 65535"),
    ({"port": 65536}, "port 65536 must be an integer from 1 to 65535"),
    ({"port": True}, "port true must be an integer from 1 to 65535"),
    ({"port": "80"}, "port '80' must be an integer from 1 to 65535"),
    ({"port": 80.0}, "port 80.0 must be an integer"),
    ({"port": ...}, "port is required (or fwmark for a firewall-mark service)"),
    ({"vip": ...}, "vip is required (or fwmark"),
    ({"vip": "10.0.0.50/32"}, "vip '10.0.0.50/32' must be a bare address without prefix length"),
    ({"vip": "10.0.0.500"}, "vip '10.0.0.500' is not an IP address"),
    ({"vip": "0.0.0.0"}, "vip 0.0.0.0 is not a unicast address"),
    ({"vip": 167772210}, "vip must be a string holding an IP address, got integer"),
    ({"fwmark": 0, "port": ...}, "fwmark 0 must be an integer from 1 to 4294967295"),
    ({"fwmark": 2 ** 32, "port": ...}, "fwmark 4294967296 must be"),
    ({"fwmark": 7}, "port is not allowed with fwmark"),
    ({"persistence_timeout": 0}, "persistence_timeout 0 must be an integer number of seconds >= 1"),
    ({"persistence_timeout": "5m"}, "persistence_timeout '5m' must be"),
    ({"allow_director_as_realserver": "yes"}, "allow_director_as_realserver must be true or false, got string"),
    ({"directors": []}, "directors must be a non-empty list of inventory host names, got an empty list"),
    ({"directors": "director1"}, "directors must be a non-empty list of inventory host names, got string"),
    ({"directors": ["director1", "director1"]}, "director director1 is listed twice"),
    ({"directors": ["ghost"]}, "director ghost is not in the inventory; add the host or fix the name"),
    ({"directors": [{"host": "director1"}]}, "directors entry {'host': 'director1'} must be an inventory host"),
    ({"realservers": ...}, "realservers is required"),
    ({"realservers": "dr1"}, "realservers must be a list of {host, port, weight}, got string"),
    ({"realservers": {"host": "dr1"}}, "realservers must be a list of {host, port, weight}, got mapping"),
])
def test_schema_service_fields(changes, expected):
    lab = Lab()
    lab.services.append(_service(**changes))
    result = validate(*lab.args())
    found = messages(result)
    assert any(expected in m for m in found), found
    assert all(m.endswith("[schema]") for m in found)
    # The broken service is left out of the model, so nothing piles up on it.
    assert len(result.model.services) == 3
    assert [f.rule for f in result.findings] == ["schema"] * len(result.findings)


@pytest.mark.parametrize("entry,expected", [
    (None, "realservers[0] must be a mapping {host, port, weight}, got null"),
    ("dr1", "realservers[0] must be a mapping {host, port, weight}, got string"),
    ({"host": "ghost"}, "real server ghost is not in the inventory; add the host or fix the name"),
    ({"host": None}, "realservers[0] host must be an inventory host name, got null"),
    ({"host": "dr1", "port": 0}, "host dr1, service web (10.0.0.50:80/tcp dr): realservers[0] port 0 must be"),
    ({"host": "dr1", "port": False}, "realservers[0] port false must be"),
    ({"host": "dr1", "weight": -1}, "weight -1 must be an integer from 0 (drained) to 65535"),
    ({"host": "dr1", "weight": 65536}, "weight 65536 must be an integer from 0 (drained) to 65535"),
    ({"host": "dr1", "weight": "1"}, "weight '1' must be"),
    ({"host": "dr1", "wieght": 1}, "realservers[0] has unknown key(s) wieght; allowed: host, port, weight"),
])
def test_schema_realserver_entries(entry, expected):
    lab = Lab()
    lab.services.append(_service(realservers=[entry]))
    result = validate(*lab.args())
    found = messages(result)
    assert any(expected in m for m in found), found
    assert [f.rule for f in result.findings] == ["schema"] * len(result.findings)


def test_duplicate_realserver():
    lab = Lab()
    lab.service("web-dr")["realservers"].append({"host": "dr1", "weight": 3})
    assert any("real server dr1 port 80 is listed twice" in m for m in messages(validate(*lab.args())))


def test_fwmark_realserver_port_forbidden():
    lab = Lab()
    lab.services.append(_service(fwmark=3, port=..., realservers=[{"host": "dr1", "port": 80}]))
    assert any("port is not allowed in a fwmark service" in m for m in messages(validate(*lab.args())))


def test_duplicate_names_and_endpoints():
    lab = Lab()
    lab.services.append(_service(name="web-dr"))
    lab.services.append(_service(name="web-dr-2", vip="10.0.0.10"))
    lab.services.append(_service(name="mark-a", vip=..., port=..., fwmark=5))
    lab.services.append(_service(name="mark-b", vip=..., port=..., fwmark=5))
    found = messages(validate(*lab.args()))
    assert found == [
        "lvs_services[3]: name web-dr is already used by lvs_services[0]; service names must be unique [schema]",
        "service web-dr-2 (10.0.0.10:80/tcp dr): 10.0.0.10 port 80/tcp is already served by service web-dr; "
        "IPVS keys a virtual service by it, so merge the two or change one [schema]",
        "service mark-b (fwmark 5 dr): fwmark 5 is already served by service mark-a; IPVS keys a virtual "
        "service by it, so merge the two or change one [schema]",
    ]


def test_same_fwmark_in_both_families_is_fine():
    lab = Lab()
    lab.add_host("dr6", "lvs_dr_realservers", lvs_address="2001:db8::11/64")
    lab.add_host("dir6", "lvs_directors", lvs_address="2001:db8::1/64", lvs_director_vip_interface="eth1")
    for svc in lab.services:
        svc["directors"] = ["director1"]
    lab.services.append(_service(name="m4", vip=..., port=..., fwmark=5, directors=["director1"]))
    lab.services.append(_service(name="m6", vip=..., port=..., fwmark=5, directors=["dir6"],
                                 realservers=[{"host": "dr6"}]))
    assert validate(*lab.args()).findings == []


@pytest.mark.parametrize("value,expected", [
    (None, "host dr1: lvs_address is not set; set the host's data-plane address with prefix length, "
           "e.g. 10.0.0.11/24 [schema]"),
    ("10.0.0.11", "host dr1: lvs_address '10.0.0.11' has no prefix length; write it with one, e.g. "
                  "10.0.0.11/24 [schema]"),
    ("10.0.0.311/24", "lvs_address '10.0.0.311/24' is not an IP address with prefix length"),
    ("10.0.0.11/33", "is not an IP address with prefix length"),
    ("10.0.0.0/24", "lvs_address 10.0.0.0/24 is the network or broadcast address of 10.0.0.0/24"),
    ("10.0.0.255/24", "is the network or broadcast address"),
    ("127.0.0.1/8", "is not a unicast host address"),
    (["10.0.0.11/24"], "lvs_address must be a string like 10.0.0.11/24, got list"),
    (24, "got integer"),
    (Unresolved("'x' is undefined"), "host dr1: lvs_address could not be templated ('x' is undefined)"),
])
def test_schema_lvs_address(value, expected):
    lab = Lab()
    if value is None:
        del lab.hostvars["dr1"]["lvs_address"]
    else:
        lab.hostvars["dr1"]["lvs_address"] = value
    result = validate(*lab.args())
    found = messages(result)
    assert any(expected in m for m in found), found
    # A host without a usable address drops out of the address rules.
    assert [f.rule for f in result.findings] == ["schema"]


@pytest.mark.parametrize("var,value,expected", [
    ("lvs_director_vip_interface", None, "lvs_director_vip_interface is not set; name the director NIC"),
    ("lvs_director_vip_interface", "", "lvs_director_vip_interface '' is not a valid Linux interface name"),
    ("lvs_director_vip_interface", "a-very-long-name0", "is not a valid Linux interface name"),
    ("lvs_director_vip_interface", "eth1:0", "is not a valid Linux interface name"),
    ("lvs_director_vip_interface", 1, "must be an interface name string, got integer"),
    ("lvs_director_internal_interface", "eth 2", "is not a valid Linux interface name"),
    ("lvs_director_internal_address", "192.168.10.1", "lvs_director_internal_address (the DIP) '192.168.10.1' "
                                                      "has no prefix length"),
    ("lvs_director_internal_address", "nope/24", "(the DIP) 'nope/24' is not an IP address"),
])
def test_schema_director_vars(var, value, expected):
    lab = Lab()
    if value is None:
        del lab.hostvars["director1"][var]
    else:
        lab.hostvars["director1"][var] = value
    result = validate(*lab.args())
    found = messages(result)
    assert any(expected in m and m.startswith("host director1: ") for m in found), found


def test_schema_gateway():
    lab = Lab()
    lab.hostvars["nat1"]["lvs_gateway"] = "192.168.10.1/24"
    assert any("lvs_gateway '192.168.10.1/24' must be a bare address" in m for m in messages(validate(*lab.args())))


def test_host_vars_not_a_mapping_and_missing_host():
    lab = Lab()
    lab.hostvars["dr1"] = ["lvs_address"]
    lab.groups["lvs_tun_realservers"].append("ghost")
    found = messages(validate(*lab.args()))
    assert "host dr1: host variables must be a mapping, got list [schema]" in found
    assert ("host ghost: is in group lvs_tun_realservers but has no host variables; add it to the inventory "
            "[schema]") in found


def test_groups_malformed():
    lab = Lab()
    lab.groups["lvs_directors"] = "director1"
    found = messages(validate(*lab.args()))
    assert found[0] == "inventory: group lvs_directors must be a list of host names, got string [schema]"
    found = messages(validate(lab.services, lab.hostvars, None))
    assert "has no director" in found[0]


def test_default_directors_need_a_group():
    lab = Lab()
    lab.groups["lvs_directors"] = []
    found = messages(validate(*lab.args()))
    assert found[0] == ("service web-dr: has no director: group lvs_directors is empty and the service lists no "
                        "directors [schema]")


def test_hostvars_not_a_mapping():
    lab = Lab()
    result = validate(lab.services, None, lab.groups)
    assert "real server dr1 is not in the inventory" in messages(result)[0]


def test_resolve_services():
    services = Lab().services
    assert resolve_services({"a": services, "b": list(services)}) == (services, [])
    value, findings = resolve_services({"a": services, "b": services[:1]})
    assert value is services
    assert [f.message for f in findings] == [
        "host b: sees a different lvs_services than host a; lvs_services is cluster-wide, define it once "
        "(group_vars/all) and not per host or group [schema]"]
    value, findings = resolve_services({})
    assert value is None and findings[0].message.startswith("lvs_services: is not defined for any host")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70000) | st.floats(allow_nan=False) |
    st.sampled_from(["", "dr", "tun", "nat", "tcp", "10.0.0.10", "10.0.0.11/24", "dr1", "director1", "eth1",
                     "2001:db8::1/64", "web", "wlc"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "vip", "port", "mode", "realservers", "host", "weight", "fwmark", "directors",
                         "protocol", "scheduler", "lvs_address", "x"]), inner, max_size=6),
    max_leaves=25)


@settings(max_examples=150, deadline=None)
@given(services=JSON, hostvars=JSON, groups=JSON)
def test_garbage_never_raises(services, hostvars, groups):
    result = validate(services, hostvars, groups)
    cluster_view(result.model)
    for finding in result.findings:
        assert finding.message.endswith("[%s]" % finding.rule)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_garbage_inside_lab_never_raises(data):
    lab = Lab()
    svc = data.draw(st.sampled_from(lab.services))
    key = data.draw(st.sampled_from(["vip", "port", "mode", "realservers", "directors", "fwmark", "weight"]))
    svc[key] = data.draw(JSON)
    host = data.draw(st.sampled_from(sorted(lab.hostvars)))
    var = data.draw(st.sampled_from(["lvs_address", "lvs_director_internal_address", "lvs_gateway",
                                     "lvs_director_vip_interface"]))
    lab.hostvars[host][var] = data.draw(JSON)
    result = validate(*lab.args())
    cluster_view(result.model)
    assert all(f.rule in ("schema",) or f.severity in ("error", "warning") for f in result.findings)
