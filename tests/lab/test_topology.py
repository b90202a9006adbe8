"""Topology parsing and validation: every bad input fails with its reason, before any boot."""
import textwrap
from pathlib import Path

import pytest

from lvslab import topology
from lvslab.topology import TopologyError

TOPO_DIR = Path(__file__).resolve().parents[2] / "lab" / "topologies"

GOOD = """
name: t
segments:
  front: {subnet: 10.0.0.0/24, reserved: {vip: 10.0.0.10}}
  back: 192.168.10.0/24
hosts:
  client:
    nics:
      eth1: {segment: front, address: 10.0.0.100/24}
  director:
    groups: [directors]
    nics:
      eth1: {segment: front, address: 10.0.0.1}
      eth2: {segment: back}
    routes:
      - {to: 10.0.1.0/24, via: 10.0.0.254}
    sysctl: {net.ipv4.ip_forward: 1}
"""


def parse(text):
    return topology.parse(textwrap.dedent(text), "test.yml")


def problems(text):
    with pytest.raises(TopologyError) as exc:
        parse(text)
    return "\n".join(exc.value.problems)


def test_good_topology_parses():
    t = parse(GOOD)
    assert list(t.hosts) == ["client", "director"]
    d = t.hosts["director"]
    assert [n.name for n in d.nics] == ["eth1", "eth2"]
    assert str(d.nics[0].address) == "10.0.0.1/24"  # prefix taken from the segment
    assert d.nics[1].address is None
    assert d.routes[0].dev == "eth1"
    assert d.sysctl == {"net.ipv4.ip_forward": "1"}
    assert t.groups() == {"directors": ["director"]}


@pytest.mark.parametrize("name", ["default", "dr", "tun", "nat", "ipv6"])
def test_shipped_topologies_are_valid(name):
    t = topology.load(TOPO_DIR / f"{name}.yml")
    assert "client" in t.hosts and "director" in t.hosts


def test_default_topology_addressing():
    t = topology.load(TOPO_DIR / "default.yml")
    assert list(t.hosts) == ["client", "director", "router", "dr1", "dr2", "tun1", "tun2", "nat1", "nat2"]
    addr = {h.name: [str(n.address) if n.address else None for n in h.nics] for h in t.hosts.values()}
    assert addr["director"] == ["10.0.0.1/24", None]  # the DIP is the role's job
    assert addr["router"] == ["10.0.0.254/24", "10.0.1.254/24"]
    assert addr["tun1"] == ["10.0.1.21/24"]
    assert addr["nat1"] == ["192.168.10.31/24"]
    assert t.hosts["nat1"].routes == [] and t.hosts["nat2"].routes == []  # no gateway from the lab
    assert [(r.to, str(r.via)) for r in t.hosts["tun2"].routes] == [("default", "10.0.1.254")]
    assert [(r.to, str(r.via)) for r in t.hosts["director"].routes] == [("10.0.1.0/24", "10.0.0.254")]
    assert t.hosts["router"].sysctl["net.ipv4.ip_forward"] == "1"


def test_ipv6_topology_addressing():
    t = topology.load(TOPO_DIR / "ipv6.yml")
    assert len(t.hosts) <= 6  # every host costs boot time
    for s in t.segments.values():  # dual stack throughout
        assert s.subnet is not None and s.subnet6 is not None
    front, back = t.segments["front"], t.segments["back"]
    vips = {k: str(v) for k, v in front.reserved.items()}
    assert vips == {"vip6_dr": "fd00:10::10", "vip6_tun": "fd00:10::20", "vip6_nat": "fd00:10::30"}
    assert {k: str(v) for k, v in back.reserved.items()} == {"dip6": "fd00:192:168:10::1"}
    director = t.hosts["director"]
    assert [(str(n.address), str(n.address6)) for n in director.nics] == [("10.0.0.1/24", "fd00:10::1/64"), ("None", "None")]
    assert ("fd00:10:1::/64", "fd00:10::100") in [(r.to, str(r.via)) for r in director.routes]
    assert [(r.to, str(r.via)) for r in t.hosts["tun1"].routes] == [("default", "10.0.1.254"), ("default6", "fd00:10:1::254")]
    assert t.hosts["nat1"].routes == []  # no gateway from the lab: nat_realserver's job
    assert str(t.hosts["dr1"].nics[0].address6) == "fd00:10::11/64"
    router = next(h for h in t.hosts.values() if "routers" in h.groups)
    assert router.sysctl["net.ipv6.conf.all.forwarding"] == "1"


GOOD6 = """
name: t6
segments:
  front: fd00:10::/64
  dual: {subnet: 10.0.0.0/24, subnet6: "fd00:20::/64", reserved: {vip: 10.0.0.10, vip6: "fd00:20::10"}}
hosts:
  client:
    nics:
      eth1: {segment: front, address: "fd00:10::100"}
  director:
    nics:
      eth1: {segment: front, address: "fd00:10::1/64"}
      eth2: {segment: dual, address: 10.0.0.1, address6: "fd00:20::1"}
    routes:
      - {to: default6, via: "fd00:10::100"}
      - {to: "fd00:30::/64", via: "fd00:20::254"}
      - {to: 10.0.1.0/24, via: 10.0.0.254}
      - {to: default, via: 10.0.0.254}
"""


def test_ipv6_only_segment():
    t = parse(GOOD6)
    front = t.segments["front"]
    assert front.subnet is None and str(front.subnet6) == "fd00:10::/64"
    client = t.hosts["client"].nics[0]
    assert client.address is None  # an IPv6 `address:` lands in address6
    assert str(client.address6) == "fd00:10::100/64"  # prefix taken from the segment's IPv6 subnet
    assert [str(a) for a in client.addresses] == ["fd00:10::100/64"]


def test_dual_stack_segment_and_routes():
    t = parse(GOOD6)
    dual = t.segments["dual"]
    assert str(dual.subnet) == "10.0.0.0/24" and str(dual.subnet6) == "fd00:20::/64"
    assert {k: str(v) for k, v in dual.reserved.items()} == {"vip": "10.0.0.10", "vip6": "fd00:20::10"}
    eth2 = t.hosts["director"].nics[1]
    assert (str(eth2.address), str(eth2.address6)) == ("10.0.0.1/24", "fd00:20::1/64")
    routes = [(r.to, str(r.via), r.dev, r.version) for r in t.hosts["director"].routes]
    assert routes == [("default6", "fd00:10::100", "eth1", 6), ("fd00:30::/64", "fd00:20::254", "eth2", 6),
                      ("10.0.1.0/24", "10.0.0.254", "eth2", 4), ("default", "10.0.0.254", "eth2", 4)]


def test_all_digit_ipv6_addresses_need_no_quotes():
    # YAML 1.1 would read 2001:0:0:0:0:0:0:10 as the base-60 integer 5601519360000010
    t = parse("""
        segments:
          front: 2001:0:0:0::/64
        hosts:
          a: {nics: {eth1: {segment: front, address: 2001:0:0:0:0:0:0:10}}, routes: [{to: default6, via: 2001:0:0:0:0:0:0:1}]}
        """)
    a = t.hosts["a"]
    assert str(a.nics[0].address6) == "2001::10/64" and str(a.routes[0].via) == "2001::1"


def test_ipv6_address_in_address_of_a_dual_stack_segment():
    text = GOOD6.replace('address: 10.0.0.1, address6: "fd00:20::1"', 'address: "fd00:20::1"')
    text = text.replace("      - {to: 10.0.1.0/24, via: 10.0.0.254}\n      - {to: default, via: 10.0.0.254}\n", "")
    eth2 = parse(text).hosts["director"].nics[1]
    assert eth2.address is None and str(eth2.address6) == "fd00:20::1/64"


def test_zero_prefix_routes_are_the_defaults():
    t = parse(GOOD6.replace("to: default6", "to: \"::/0\"").replace("to: default,", "to: 0.0.0.0/0,"))
    assert [r.to for r in t.hosts["director"].routes] == ["default6", "fd00:30::/64", "10.0.1.0/24", "default"]


@pytest.mark.parametrize("subnet,expect", [
    ("fe80::/64", "link-local"),
    ("fe80:1::/64", "link-local"),
    ("ff02::/64", "multicast"),
    ("fd00:10::/127", "longer than /126"),
    ("fd00:10::1/64", "host bits set"),
])
def test_bad_ipv6_subnets(subnet, expect):
    assert expect in problems(GOOD6.replace("front: fd00:10::/64", f"front: \"{subnet}\""))


def test_ipv6_subnet_up_to_126_is_accepted():
    text = GOOD6.replace("front: fd00:10::/64", "front: \"fd00:10::/126\"").replace('"fd00:10::100"', '"fd00:10::2"')
    t = parse(text.replace('"fd00:10::1/64"', '"fd00:10::1"'))
    assert str(t.hosts["client"].nics[0].address6) == "fd00:10::2/126"


def test_subnet6_must_be_ipv6_and_subnet_ipv4_with_it():
    assert "bad subnet6" in problems(GOOD6.replace('subnet6: "fd00:20::/64"', "subnet6: 10.0.9.0/24"))
    p = problems(GOOD6.replace("subnet: 10.0.0.0/24, subnet6", 'subnet: "fd00:21::/64", subnet6'))
    assert "must be IPv4 when subnet6 is given" in p
    assert "subnet is required" in problems(GOOD6.replace("subnet: 10.0.0.0/24, subnet6", "subnet6"))


def test_reserved_ipv6_checks():
    p = problems(GOOD6.replace('vip6: "fd00:20::10"', 'vip6: "fd00:99::10"'))
    assert "reserved 'vip6' fd00:99::10 is outside fd00:20::/64" in p
    p = problems(GOOD6.replace("front: fd00:10::/64", "front: {subnet: \"fd00:10::/64\", reserved: {v4: 10.0.5.1}}"))
    assert "reserved 'v4' 10.0.5.1 is IPv4 but the segment has no IPv4 subnet" in p
    p = problems(GOOD6.replace('"fd00:20::1"}', '"fd00:20::10"}'))
    assert "duplicate address fd00:20::10" in p and "reserved 'vip6'" in p


def test_ipv6_address_checks():
    p = problems(GOOD6.replace('address: "fd00:10::100"', 'address: "fd00:11::100/64"'))
    assert "not in segment 'front' (fd00:10::/64)" in p
    p = problems(GOOD6.replace('address: "fd00:10::100"', 'address: "fd00:10::"'))
    assert "subnet-router anycast address of fd00:10::/64" in p
    assert "duplicate address fd00:10::1" in problems(GOOD6.replace('"fd00:10::100"', '"fd00:10::1"'))
    # the family must exist on the segment, both ways
    p = problems(GOOD6.replace('address: "fd00:10::100"', "address: 10.0.0.100"))
    assert "address 10.0.0.100/32 is IPv4 but segment 'front' has no IPv4 subnet" in p
    p = problems(GOOD.replace("eth1: {segment: front, address: 10.0.0.100/24}",
                              'eth1: {segment: front, address: 10.0.0.100/24, address6: "fd00:10::100/64"}'))
    assert "is IPv6 but segment 'front' has no IPv6 subnet" in p


def test_address6_must_be_ipv6_and_one_address_per_family():
    p = problems(GOOD6.replace('address6: "fd00:20::1"', "address6: 10.0.0.2"))
    assert "address6 10.0.0.2/24 is not an IPv6 address" in p
    p = problems(GOOD6.replace('address: 10.0.0.1, address6: "fd00:20::1"', 'address: "fd00:20::2", address6: "fd00:20::1"'))
    assert "two IPv6 addresses" in p
    assert "bad address6" in problems(GOOD6.replace('address6: "fd00:20::1"', 'address6: "fd00:20::zz"'))


def test_ipv6_route_checks():
    p = problems(GOOD6.replace('{to: default6, via: "fd00:10::100"}', "{to: default6, via: 10.0.0.254}"))
    assert "gateway 10.0.0.254 is IPv4, the destination IPv6" in p
    p = problems(GOOD6.replace("{to: 10.0.1.0/24, via: 10.0.0.254}", '{to: 10.0.1.0/24, via: "fd00:20::254"}'))
    assert "gateway fd00:20::254 is IPv6, the destination IPv4" in p
    assert "not on-link" in problems(GOOD6.replace('via: "fd00:20::254"', 'via: "fd00:99::254"'))
    assert "host's own address" in problems(GOOD6.replace('via: "fd00:20::254"', 'via: "fd00:20::1"'))
    p = problems(GOOD6.replace('{to: "fd00:30::/64", via: "fd00:20::254"}', '{to: default6, via: "fd00:20::254"}'))
    assert "more than one IPv6 default route" in p
    assert "more than one default route" not in p  # one default per family: the IPv4 one is fine
    assert "route to 'fd00:30::1/64'" in problems(GOOD6.replace('"fd00:30::/64"', '"fd00:30::1/64"'))
    assert "route to 'default7'" in problems(GOOD6.replace("to: default6", "to: default7"))


def test_ipv6_overlaps_per_family():
    p = problems(GOOD6.replace("front: fd00:10::/64", "front: \"fd00:20::/60\"").replace("fd00:10::", "fd00:20::"))
    assert "segments 'front' (fd00:20::/60) and 'dual' (fd00:20::/64) overlap" in p
    # IPv4 and IPv6 never overlap each other (::a00:0/120 has the integer value of 10.0.0.0/24,
    # ::a00:200/120 that of the management network): the management check is IPv4 only
    t = parse("""
        segments:
          a: {subnet: 10.0.0.0/24, subnet6: "::a00:0/120"}
          b: "::a00:200/120"
        hosts:
          h:
            nics:
              eth1: {segment: a, address: 10.0.0.5, address6: "::a00:5"}
              eth2: {segment: b, address: "::a00:205"}
        """)
    assert [str(s.subnet6) for s in t.segments.values()] == ["::a00:0/120", "::a00:200/120"]


def test_all_ipv6_problems_reported_at_once():
    text = (GOOD6.replace("front: fd00:10::/64", "front: \"fd00:10::/64\"\n  ll: \"fe80::/64\"")
            .replace('{to: default6, via: "fd00:10::100"}', "{to: default6, via: 10.0.0.254}")
            .replace('"fd00:10::100"', '"fd00:10::"'))
    p = problems(text)
    assert "link-local" in p and "subnet-router anycast" in p and "destination IPv6" in p


def test_unknown_segment():
    p = problems(GOOD.replace("eth2: {segment: back}", "eth2: {segment: bak}"))
    assert "unknown segment 'bak'" in p


def test_duplicate_address():
    p = problems(GOOD.replace("10.0.0.100/24", "10.0.0.1/24"))
    assert "duplicate address 10.0.0.1" in p


def test_address_colliding_with_reserved_vip():
    p = problems(GOOD.replace("10.0.0.100/24", "10.0.0.10/24"))
    assert "duplicate address 10.0.0.10" in p and "reserved 'vip'" in p


def test_duplicate_host():
    text = GOOD + """
  client:
    nics:
      eth1: {segment: front, address: 10.0.0.101/24}
"""
    assert "duplicate host 'client'" in problems(text)


def test_duplicate_nic():
    text = GOOD.replace("      eth2: {segment: back}\n", "      eth2: {segment: back}\n      eth2: {segment: back}\n")
    assert "duplicate NIC 'eth2'" in problems(text)


def test_nics_must_be_in_order_and_not_eth0():
    assert "expected eth1" in problems(GOOD.replace("eth1: {segment: front, address: 10.0.0.100/24}",
                                                    "eth3: {segment: front, address: 10.0.0.100/24}"))
    assert "management NIC" in problems(GOOD.replace("eth1: {segment: front, address: 10.0.0.100/24}",
                                                     "eth0: {segment: front, address: 10.0.0.100/24}"))


def test_two_nics_on_one_segment():
    assert "already on eth1" in problems(GOOD.replace("eth2: {segment: back}", "eth2: {segment: front}"))


def test_address_outside_segment_and_network_address():
    assert "not in segment 'front'" in problems(GOOD.replace("10.0.0.100/24", "10.0.5.100/24"))
    assert "network or broadcast" in problems(GOOD.replace("10.0.0.100/24", "10.0.0.255/24"))


def test_route_gateway_must_be_on_link():
    assert "not on-link" in problems(GOOD.replace("via: 10.0.0.254", "via: 10.9.9.9"))


def test_unknown_keys_and_bad_names():
    assert "unknown key 'nic'" in problems(GOOD.replace("  client:\n    nics:", "  client:\n    nic:"))
    assert "name must match" in problems(GOOD.replace("  client:", "  Client_1:"))


def test_overlapping_segments_and_management_net():
    assert "overlap" in problems(GOOD.replace("back: 192.168.10.0/24", "back: 10.0.0.128/25"))
    assert "management network" in problems(GOOD.replace("back: 192.168.10.0/24", "back: 10.0.2.0/24"))


def test_all_problems_reported_at_once():
    text = GOOD.replace("eth2: {segment: back}", "eth2: {segment: bak}").replace("10.0.0.100/24", "10.0.0.1/24")
    p = problems(text)
    assert "unknown segment" in p and "duplicate address" in p


def test_yaml_syntax_error():
    assert "YAML syntax" in problems("hosts: [unclosed\n")


def test_missing_file(tmp_path):
    with pytest.raises(TopologyError, match="cannot read"):
        topology.load(tmp_path / "nope.yml")


def test_resolve_names_and_paths(tmp_path):
    assert topology.resolve("dr", TOPO_DIR) == TOPO_DIR / "dr.yml"
    assert topology.resolve("x/y.yml", TOPO_DIR) == Path("x/y.yml")
