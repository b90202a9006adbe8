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


@pytest.mark.parametrize("name", ["default", "dr", "tun", "nat"])
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
