"""molecule/ipv6 agrees with lab/topologies/ipv6.yml and passes the collection's validator.

Pure: reads YAML and runs `ansible-playbook lvs.cluster.validate` (which contacts no host);
nothing is booted. A renumbered topology or a typo in the scenario's inventory fails here
instead of minutes into a Molecule run.
"""
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import yaml

from lvslab import topology

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "molecule" / "ipv6"
TOPOLOGY = ROOT / "lab" / "topologies" / "ipv6.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def inventory_hosts():
    """host -> variables of molecule/ipv6/inventory/hosts.yml, and group -> hosts."""
    inv = yaml.safe_load((SCENARIO / "inventory" / "hosts.yml").read_text())
    hostvars, groups = {}, {}
    for group, body in inv.items():
        for host, hv in (body.get("hosts") or {}).items():
            hostvars.setdefault(host, {}).update(hv or {})
            groups.setdefault(group, []).append(host)
    return hostvars, groups


def services():
    return yaml.safe_load((SCENARIO / "inventory" / "group_vars" / "all.yml").read_text())["lvs_services"]


def test_platforms_are_the_topology_hosts():
    mol = yaml.safe_load((SCENARIO / "molecule.yml").read_text())
    assert mol["ansible"]["env"]["LVS_LAB_TOPOLOGY"] == "ipv6"
    t = topology.load(TOPOLOGY)
    assert [p["name"] for p in mol["platforms"]] == list(t.hosts)
    _, groups = inventory_hosts()
    for p in mol["platforms"]:
        assert all(p["name"] in groups[g] for g in p["groups"]), p


def test_inventory_addresses_are_the_topology_addresses():
    t = topology.load(TOPOLOGY)
    hostvars, _ = inventory_hosts()
    for host, hv in hostvars.items():
        if "lvs_address" not in hv:
            continue
        addr = ipaddress.ip_interface(hv["lvs_address"])
        assert addr.version == 6, host  # the whole cluster is IPv6
        assert addr in [n.address6 for n in t.hosts[host].nics], f"{host}: {addr} is not one of its NICs' addresses"
    d = hostvars["director"]
    nics = {n.name: n for n in t.hosts["director"].nics}
    front = t.segments[nics[d["lvs_director_vip_interface"]].segment]
    back = t.segments[nics[d["lvs_director_internal_interface"]].segment]
    dip = ipaddress.ip_interface(d["lvs_director_internal_address"])
    assert dip.ip in back.reserved.values() and dip.network == back.subnet6  # the lab leaves the DIP to the role
    vips = [ipaddress.ip_address(s["vip"]) for s in services()]
    assert sorted(vips) == sorted(v for v in front.reserved.values() if v.version == 6)
    assert sorted(s["mode"] for s in services()) == ["dr", "nat", "tun"]


def test_inventory_validates_strictly():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".tmp" / "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(SCENARIO / "inventory"), str(ROOT / "playbooks" / "validate.yml"),
                           "-e", "lvs_validate_strict=true"],
                          env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout
    assert "LVS inventory: 3 service(s), 4 host(s), 0 error(s), 0 warning(s)" in proc.stdout
