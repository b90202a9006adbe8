# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property tests: generated valid inventories pass; one known mutation yields exactly its rule."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress

from hypothesis import assume, given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import cluster_view
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate

SETTINGS = settings(max_examples=100, deadline=None)


def _addr(family, site, net, host):
    if family == 4:
        return "10.%d.%d.%d" % (site, net, host)
    return "2001:db8:%x:%x::%x" % (site, net, host)


def _iface(family, site, net, host):
    return "%s/%d" % (_addr(family, site, net, host), 24 if family == 4 else 64)


def _shift(address, nets):
    """The same host number ``nets`` subnets further on (a fresh, unused subnet)."""
    iface = ipaddress.ip_interface(address)
    step = 1 << (iface.max_prefixlen - iface.network.prefixlen)
    return "%s/%d" % (ipaddress.ip_address(int(iface.ip) + nets * step), iface.network.prefixlen)


@st.composite
def inventories(draw):
    """Sites of one family each: directors and DR real servers on a front
    segment, TUN real servers on their own segment, NAT real servers behind a
    floating DIP shared by the site's directors."""
    hostvars, groups, services = {}, {"lvs_directors": [], "lvs_dr_realservers": [],
                                      "lvs_tun_realservers": [], "lvs_nat_realservers": []}, []
    director_groups = []
    sites = draw(st.integers(1, 3))
    fwmark = 0
    for site in range(sites):
        family = draw(st.sampled_from([4, 6]))
        directors = ["s%dd%d" % (site, k) for k in range(draw(st.integers(1, 2)))]
        for k, name in enumerate(directors):
            hostvars[name] = {"lvs_address": _iface(family, site, 0, 1 + k), "lvs_director_vip_interface": "eth1",
                              "lvs_director_internal_interface": "eth2",
                              "lvs_director_internal_address": _iface(family, site, 2, 1)}
            groups["lvs_directors"].append(name)
        if len(directors) > 1:
            # A director pair is a VRRP group; sites are segments of their own, so one id would do.
            director_groups.append({"name": "site%d" % site, "directors": list(directors),
                                    "virtual_router_id": 10 + site})
        pool = {}
        for mode, net, base in (("dr", 0, 10), ("tun", 1, 20), ("nat", 2, 30)):
            count = draw(st.integers(0, 3))
            pool[mode] = ["s%d%s%d" % (site, mode, k) for k in range(count)]
            for k, name in enumerate(pool[mode]):
                hostvars[name] = {"lvs_address": _iface(family, site, net, base + k)}
                if mode == "nat" and draw(st.booleans()):
                    hostvars[name]["lvs_gateway"] = _addr(family, site, 2, 1)
                groups["lvs_%s_realservers" % mode].append(name)
        modes = [m for m in ("dr", "tun", "nat") if pool[m]]
        assume(modes)
        for j in range(draw(st.integers(1, 3))):
            mode = draw(st.sampled_from(modes))
            svc = {"name": "s%dsvc%d" % (site, j), "mode": mode}
            if draw(st.integers(0, 4)) == 0:
                fwmark += 1
                svc["fwmark"] = fwmark
                if draw(st.booleans()):
                    svc["vip"] = _addr(family, site, 0, 100 + j)
            else:
                svc["vip"] = _addr(family, site, 0, 100 + j)
                svc["port"] = draw(st.integers(1, 65535))
                svc["protocol"] = draw(st.sampled_from(["tcp", "udp", "sctp"]))
            svc["scheduler"] = draw(st.sampled_from(["rr", "wrr", "wlc", "sh", "mh", "fo"]))
            if draw(st.booleans()):
                svc["persistence_timeout"] = draw(st.integers(1, 3600))
            if sites > 1 or draw(st.booleans()):
                svc["directors"] = list(directors)
            chosen = draw(st.lists(st.sampled_from(pool[mode]), min_size=1, unique=True))
            svc["realservers"] = []
            for host in chosen:
                rs = {"host": host, "weight": draw(st.integers(1, 100))}
                if "port" in svc:
                    if mode == "nat":
                        rs["port"] = draw(st.integers(1, 65535))
                    elif draw(st.booleans()):
                        rs["port"] = svc["port"]
                svc["realservers"].append(rs)
            services.append(svc)
    groups["all"] = list(hostvars)
    return {"services": services, "hostvars": hostvars, "groups": groups, "director_groups": director_groups}


def run(inv, allow=False):
    return validate(inv["services"], inv["hostvars"], inv["groups"], allow, inv["director_groups"])


def error_rules(result):
    return set(f.rule for f in result.errors)


def pick_service(data, inv, mode=None, fwmark=None):
    candidates = [s for s in inv["services"] if (mode is None or s["mode"] == mode)
                  and (fwmark is None or ("fwmark" in s) == fwmark)]
    assume(candidates)
    return data.draw(st.sampled_from(candidates))


@SETTINGS
@given(inv=inventories())
def test_valid_inventories_have_no_findings(inv):
    result = run(inv)
    assert [f.message for f in result.findings] == []
    views = cluster_view(result.model)
    for name in inv["groups"]["lvs_directors"]:
        director = views[name]["director"]
        served = [s for s in inv["services"] if name in s.get("directors", inv["groups"]["lvs_directors"])]
        assert len(director["ipvs_services"]) == len(served)
        assert sum(len(s["realservers"]) for s in director["ipvs_services"]) == sum(
            len(s["realservers"]) for s in served)


def m_dr_move_subnet(data, inv):
    rs = data.draw(st.sampled_from(pick_service(data, inv, "dr")["realservers"]))
    hv = inv["hostvars"][rs["host"]]
    hv["lvs_address"] = _shift(hv["lvs_address"], 200)
    return "dr-same-segment"


def m_port_remap(mode):
    def mutate(data, inv):
        svc = pick_service(data, inv, mode, fwmark=False)
        rs = data.draw(st.sampled_from(svc["realservers"]))
        rs["port"] = svc["port"] % 65535 + 1
        return "%s-no-port-remap" % mode
    return mutate


def m_nat_gateway_wrong(data, inv):
    rs = data.draw(st.sampled_from(pick_service(data, inv, "nat")["realservers"]))
    hv = inv["hostvars"][rs["host"]]
    hv["lvs_gateway"] = str(ipaddress.ip_interface(hv["lvs_address"]).ip + 100)
    return "nat-gateway-is-dip"


def m_nat_realserver_moved(data, inv):
    rs = data.draw(st.sampled_from(pick_service(data, inv, "nat")["realservers"]))
    hv = inv["hostvars"][rs["host"]]
    hv["lvs_address"] = _shift(hv["lvs_address"], 200)
    hv.pop("lvs_gateway", None)
    return "nat-gateway-is-dip"


def m_nat_no_dip(data, inv):
    svc = pick_service(data, inv, "nat")
    director = data.draw(st.sampled_from(svc.get("directors", inv["groups"]["lvs_directors"])))
    del inv["hostvars"][director]["lvs_director_internal_address"]
    return "nat-gateway-is-dip"


def m_vip_is_host_address(data, inv):
    svc = pick_service(data, inv)
    host = data.draw(st.sampled_from(svc.get("directors", inv["groups"]["lvs_directors"]) +
                                     [rs["host"] for rs in svc["realservers"]]))
    svc["vip"] = str(ipaddress.ip_interface(inv["hostvars"][host]["lvs_address"]).ip)
    return "vip-collision"


def m_remove_from_group(data, inv):
    svc = pick_service(data, inv)
    rs = data.draw(st.sampled_from(svc["realservers"]))
    group = inv["groups"]["lvs_%s_realservers" % svc["mode"]]
    group.remove(rs["host"])
    return "role-membership"


def m_mix_families(data, inv):
    svc = pick_service(data, inv)
    family = ipaddress.ip_interface(inv["hostvars"][svc["realservers"][0]["host"]]["lvs_address"]).version
    svc["vip"] = "172.31.255.%d" % (len(inv["services"])) if family == 6 else "2001:db8:ffff::1"
    return "address-family"


def m_duplicate_name(data, inv):
    assume(len(inv["services"]) > 1)
    first, second = data.draw(st.lists(st.sampled_from(inv["services"]), min_size=2, max_size=2, unique_by=id))
    second["name"] = first["name"]
    return "schema"


def m_duplicate_endpoint(data, inv):
    plain = [s for s in inv["services"] if "fwmark" not in s]
    assume(len(plain) > 1)
    first, second = sorted(data.draw(st.lists(st.sampled_from(plain), min_size=2, max_size=2, unique_by=id)),
                           key=inv["services"].index)
    # The later copy is the duplicate; the earlier one keeps being checked.
    for key in ("vip", "port", "protocol"):
        second[key] = first[key]
    return "schema"


def m_director_as_realserver(data, inv):
    svc = pick_service(data, inv, "dr")
    director = data.draw(st.sampled_from(svc.get("directors", inv["groups"]["lvs_directors"])))
    inv["groups"]["lvs_dr_realservers"].append(director)
    svc["realservers"].append({"host": director})
    return "realserver-is-director"


def m_duplicate_address(data, inv):
    svc = pick_service(data, inv)
    assume(len(svc["realservers"]) > 1)
    first, second = svc["realservers"][:2]
    inv["hostvars"][second["host"]]["lvs_address"] = inv["hostvars"][first["host"]]["lvs_address"]
    return "duplicate-address"


def m_schema_address(data, inv):
    host = data.draw(st.sampled_from(sorted(inv["hostvars"])))
    hv = inv["hostvars"][host]
    hv["lvs_address"] = data.draw(st.sampled_from([None, "", hv["lvs_address"].split("/")[0], 42, ["x"]]))
    return "schema"


def m_schema_service(data, inv):
    svc = pick_service(data, inv)
    key, value = data.draw(st.sampled_from([("mode", "direct"), ("scheduler", "fastest"), ("protocol", "icmp"),
                                            ("persistence_timeout", -1), ("colour", "red"), ("realservers", None),
                                            ("directors", "all")]))
    svc[key] = value
    return "schema"


def m_schema_weight(data, inv):
    rs = data.draw(st.sampled_from(pick_service(data, inv)["realservers"]))
    rs["weight"] = data.draw(st.sampled_from([-1, 65536, True, "1", None]))
    return "schema"


def m_ha_drop_group(data, inv):
    assume(inv["director_groups"])
    inv["director_groups"].pop(data.draw(st.integers(0, len(inv["director_groups"]) - 1)))
    return "ha-group"


def m_ha_vrid(data, inv):
    assume(inv["director_groups"])
    group = data.draw(st.sampled_from(inv["director_groups"]))
    group["virtual_router_id"] = data.draw(st.sampled_from([0, 256, None, "51"]))
    return "ha-vrid"


def m_ha_same_priority(data, inv):
    assume(inv["director_groups"])
    first, second = data.draw(st.sampled_from(inv["director_groups"]))["directors"][:2]
    inv["hostvars"][second]["lvs_director_priority"] = data.draw(st.sampled_from([200, 201]))
    inv["hostvars"][first]["lvs_director_priority"] = inv["hostvars"][second]["lvs_director_priority"]
    return "ha-priority"


MUTATIONS = {
    "ha-drop-group": m_ha_drop_group,
    "ha-vrid": m_ha_vrid,
    "ha-same-priority": m_ha_same_priority,
    "dr-move-subnet": m_dr_move_subnet,
    "dr-port-remap": m_port_remap("dr"),
    "tun-port-remap": m_port_remap("tun"),
    "nat-gateway-wrong": m_nat_gateway_wrong,
    "nat-realserver-moved": m_nat_realserver_moved,
    "nat-no-dip": m_nat_no_dip,
    "vip-is-host-address": m_vip_is_host_address,
    "remove-from-group": m_remove_from_group,
    "mix-families": m_mix_families,
    "duplicate-name": m_duplicate_name,
    "duplicate-endpoint": m_duplicate_endpoint,
    "director-as-realserver": m_director_as_realserver,
    "duplicate-address": m_duplicate_address,
    "schema-address": m_schema_address,
    "schema-service": m_schema_service,
    "schema-weight": m_schema_weight,
}


@settings(max_examples=300, deadline=None)
@given(inv=inventories(), kind=st.sampled_from(sorted(MUTATIONS)), data=st.data())
def test_single_mutation_yields_exactly_its_rule(inv, kind, data):
    expected = MUTATIONS[kind](data, inv)
    result = run(inv)
    assert error_rules(result) == {expected}, [f.message for f in result.findings]
    cluster_view(result.model)


@SETTINGS
@given(inv=inventories(), data=st.data())
def test_director_as_realserver_allowed(inv, data):
    m_director_as_realserver(data, inv)
    assert run(inv, allow=True).errors == []


@SETTINGS
@given(inv=inventories(), data=st.data())
def test_tun_into_director_segment_only_warns(inv, data):
    svc = pick_service(data, inv, "tun")
    rs = data.draw(st.sampled_from(svc["realservers"]))
    hv = inv["hostvars"][rs["host"]]
    hv["lvs_address"] = _shift(hv["lvs_address"], -1)
    iface = ipaddress.ip_interface(hv["lvs_address"])
    hv["lvs_address"] = "%s/%d" % (iface.ip + 130, iface.network.prefixlen)
    result = run(inv)
    assert result.errors == []
    assert set(f.rule for f in result.warnings) == {"tun-same-segment"}


@SETTINGS
@given(inv=inventories(), data=st.data())
def test_all_weights_zero_only_warns(inv, data):
    svc = pick_service(data, inv)
    for rs in svc["realservers"]:
        rs["weight"] = 0
    result = run(inv)
    assert result.errors == []
    assert [(f.rule, f.service) for f in result.warnings] == [("weight-all-zero", svc["name"])]
