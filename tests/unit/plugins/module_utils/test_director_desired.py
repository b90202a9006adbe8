# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's desired state (plugins/module_utils/_host_desired.py) from the validator's view.

``desired('director', ...)`` turns the host view into what ``lvs.cluster.host_net`` applies
(addresses with their ``ip`` flags, sysctls, kernel modules), and the pre-flight dry-runs the
same modules. Fed to the host network delta: IPv6 VIPs go on deprecated (``preferred_lft 0``)
and a director with an IPv6 service loads ``ipv6`` now and at boot.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import desired, empty_view
from ansible_collections.lvs.cluster.plugins.module_utils._host_preflight import probes
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import host_view
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import validate
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import compute, wants_deprecated
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.lvs_lab import Lab

# The director role's defaults, as the module receives them.
DEFAULTS = {"manage_vips": True, "conn_reuse_mode": 1, "expire_nodest_conn": 1, "expire_quiescent_template": 1}


def render(view, director_state="present", director_manage_vips=True):
    """What the role's host_net call wants for ``view``, keyed as the 0.1 role's facts were."""
    settings = dict(DEFAULTS, manage_vips=director_manage_vips)
    want = desired("director", view, settings, "", [], present=director_state == "present")
    out = dict(("director__desired_" + key, value) for key, value in want.items())
    out["preflight_modules"] = probes("director", view, settings, [])["modules"]
    return out


def director_view(services, hostvars, groups, name="d1"):
    result = validate(services, hostvars, groups)
    assert [f.message for f in result.findings] == []
    return host_view(result.model, name)["director"]


# IPv6 only: one DR, one TUN, one NAT service, and a fwmark service (family: the director's).
V6_HOSTVARS = {
    "d1": {"lvs_address": "fd00:10::1/64", "lvs_director_vip_interface": "eth1",
           "lvs_director_internal_interface": "eth2", "lvs_director_internal_address": "fd00:192:168:10::1/64"},
    "r1": {"lvs_address": "fd00:10::11/64"},
    "t1": {"lvs_address": "fd00:10:1::21/64"},
    "n1": {"lvs_address": "fd00:192:168:10::31/64"},
}
V6_GROUPS = {"all": sorted(V6_HOSTVARS), "lvs_directors": ["d1"], "lvs_dr_realservers": ["r1"],
             "lvs_tun_realservers": ["t1"], "lvs_nat_realservers": ["n1"]}
V6_DR = {"name": "dr6", "vip": "fd00:10::10", "port": 80, "mode": "dr", "realservers": [{"host": "r1"}]}
V6_TUN = {"name": "tun6", "vip": "fd00:10::20", "port": 80, "mode": "tun", "scheduler": "rr",
          "realservers": [{"host": "t1"}]}
V6_NAT = {"name": "nat6", "vip": "fd00:10::30", "port": 8080, "mode": "nat", "realservers": [{"host": "n1", "port": 80}]}
V6_FWMARK = {"name": "mark6", "fwmark": 6, "mode": "dr", "realservers": [{"host": "r1"}]}


def test_view_flags_a_director_with_any_ipv6_service():
    lab = Lab()
    assert director_view(*lab.args(), name="director1")["ipv6"] is False
    for services in ([V6_DR], [V6_TUN], [V6_NAT], [V6_FWMARK], [V6_DR, V6_TUN, V6_NAT]):
        view = director_view(services, V6_HOSTVARS, V6_GROUPS)
        assert view["ipv6"] is True, services
        assert view["ipv6_forward"] is any(s["mode"] == "nat" for s in services)


def test_ipv6_director_vips_are_deprecated_and_ipv6_is_loaded():
    view = director_view([V6_DR, V6_TUN, V6_NAT], V6_HOSTVARS, V6_GROUPS)
    out = render(view)
    assert out["director__desired_modules"] == ["ipv6", "ip_vs", "ip_vs_rr", "ip_vs_wlc"]
    assert out["preflight_modules"] == out["director__desired_modules"]
    assert out["director__desired_addresses"] == [
        {"dev": "eth1", "address": "fd00:10::10/128", "flags": "nodad preferred_lft 0"},
        {"dev": "eth1", "address": "fd00:10::20/128", "flags": "nodad preferred_lft 0"},
        {"dev": "eth1", "address": "fd00:10::30/128", "flags": "nodad preferred_lft 0"},
        # The DIP is the real servers' gateway and a fine source address: not deprecated.
        {"dev": "eth2", "address": "fd00:192:168:10::1/64", "flags": "nodad"},
    ]
    assert out["director__desired_sysctl"]["net.ipv6.conf.all.forwarding"] == "1"


def test_ipv6_director_without_nat_still_loads_ipv6():
    out = render(director_view([V6_DR], V6_HOSTVARS, V6_GROUPS))
    assert out["director__desired_modules"] == ["ipv6", "ip_vs", "ip_vs_wlc"]
    assert "net.ipv6.conf.all.forwarding" not in out["director__desired_sysctl"]


def test_ipv6_director_with_keepalived_owning_the_vips():
    out = render(director_view([V6_TUN, V6_NAT], V6_HOSTVARS, V6_GROUPS), director_manage_vips=False)
    assert out["director__desired_addresses"] == [
        {"dev": "eth2", "address": "fd00:192:168:10::1/64", "flags": "nodad"}]
    assert out["director__desired_modules"][0] == "ipv6"


def test_ipv4_director_is_unchanged():
    out = render(director_view(*Lab().args(), name="director1"))
    assert out["director__desired_modules"] == ["ip_vs", "ip_vs_rr", "ip_vs_wlc", "ip_vs_wrr"]
    assert out["preflight_modules"] == out["director__desired_modules"]
    assert out["director__desired_addresses"] == [
        {"dev": "eth1", "address": "10.0.0.10/32", "flags": ""},
        {"dev": "eth1", "address": "10.0.0.20/32", "flags": ""},
        {"dev": "eth1", "address": "10.0.0.30/32", "flags": ""},
        {"dev": "eth2", "address": "192.168.10.1/24", "flags": ""},
    ]
    assert not any(wants_deprecated(a) for a in out["director__desired_addresses"])


def test_decommissioning_loads_nothing():
    out = render(empty_view("director"), director_state="absent")
    assert out["director__desired_modules"] == [] and out["director__desired_addresses"] == []


@pytest.mark.parametrize("first_run_live_vip", [None, "preferred", "deprecated"])
def test_rendered_state_through_the_delta(first_run_live_vip):
    """The role's desired state, given to the delta: a VIP that is missing or preferred gets one
    `addr replace ... nodad preferred_lft 0`; one that is already deprecated gets nothing."""
    out = render(director_view([V6_TUN], V6_HOSTVARS, V6_GROUPS))
    want = {"links": out["director__desired_links"], "addresses": out["director__desired_addresses"],
            "routes": out["director__desired_routes"], "sysctl": out["director__desired_sysctl"],
            "modules": out["director__desired_modules"]}
    addr_info = [{"family": "inet6", "local": "fd00:10::1", "prefixlen": 64, "preferred_life_time": 4294967295}]
    if first_run_live_vip == "preferred":
        addr_info.append({"family": "inet6", "local": "fd00:10::20", "prefixlen": 128, "nodad": True,
                          "preferred_life_time": 4294967295})
    elif first_run_live_vip == "deprecated":
        addr_info.append({"family": "inet6", "local": "fd00:10::20", "prefixlen": 128, "nodad": True,
                          "deprecated": True, "preferred_life_time": 0})
    live = [{"ifname": "lo", "flags": ["LOOPBACK", "UP"], "mtu": 65536,
             "addr_info": [{"family": "inet6", "local": "::1", "prefixlen": 128}]},
            {"ifname": "eth1", "flags": ["UP"], "mtu": 1500, "addr_info": addr_info}]
    sysctl = ["%s = %s" % kv for kv in sorted(want["sysctl"].items())]
    result = compute(want, {}, live, [], sysctl, True)
    expected = [] if first_run_live_vip == "deprecated" else ["addr replace fd00:10::20/128 dev eth1 nodad preferred_lft 0"]
    assert result["lines"] == expected
    assert result["load_modules"] == []         # ::1 proves ipv6, the vs sysctls ip_vs (and its schedulers)
    assert result["record"]["modules"] == ["ipv6", "ip_vs", "ip_vs_rr"]
