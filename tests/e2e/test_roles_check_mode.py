# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The real server roles in check mode against this machine (connection local).

Check mode runs every read (``ip -j addr``, ``ip route get``, ``sysctl``, the role's record)
for real and predicts every change without making it, so this exercises the roles' whole
logic - model view, pre-flight, the host network delta, the templates - on a real Linux host,
for IPv4 and, when the machine has a global IPv6 address, IPv6. The lab (Molecule) proves the
changes themselves; the lab is IPv4 only, so IPv6 is covered here.

Inventories are built from this machine's own addresses (the VIPs come from documentation
ranges), and the test asserts that nothing on the machine changed.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ipaddress
import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".tmp", "collections")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def _global_address(version):
    """(interface, ip_interface) of the first global address of that family on a non-lo interface."""
    out = subprocess.run(["ip", "-j", "addr", "show"], stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout
    for link in json.loads(out):
        if link.get("ifname") == "lo":
            continue
        for addr in link.get("addr_info") or []:
            iface = ipaddress.ip_interface("%s/%s" % (addr["local"], addr["prefixlen"]))
            if iface.version == version and addr.get("scope") == "global" and iface.network.num_addresses >= 4:
                return link["ifname"], iface
    return None, None


def _other_host(iface):
    """An address of iface's subnet that is not iface's own (never contacted)."""
    for candidate in iface.network.hosts():
        if candidate != iface.ip:
            return candidate
    raise AssertionError("no second address in %s" % iface.network)


def _run(tmp_path, inventory, role, extra_vars=None):
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    play = [{"name": "check mode", "hosts": "me", "gather_facts": False,
             "roles": [dict({"role": "lvs.cluster." + role}, **(extra_vars or {}))]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), "--check", "--diff"],
                          env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    return proc.returncode, proc.stdout


def _me(address, **hostvars):
    return dict({"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "lvs_address": str(address)}, **hostvars)


def _snapshot():
    addrs = subprocess.run(["ip", "-j", "addr", "show"], stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout
    routes = subprocess.run(["ip", "-j", "route", "show"], stdout=subprocess.PIPE, check=True, universal_newlines=True).stdout
    return json.loads(addrs), json.loads(routes), os.path.exists("/etc/lvs-cluster")


IF4, ADDR4 = _global_address(4)
IF6, ADDR6 = _global_address(6)
needs_ipv4 = pytest.mark.skipif(ADDR4 is None, reason="no global IPv4 address on this machine")
needs_ipv6 = pytest.mark.skipif(ADDR6 is None, reason="no global IPv6 address on this machine")


def _task(out, name):
    """The output block of the task whose name contains ``name``."""
    blocks = out.split("\nTASK [")
    found = [b for b in blocks if name in b.split("]", 1)[0]]
    assert found, "no task %r in:\n%s" % (name, out)
    return found[0]


def _sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as handle:
        return handle.read().strip()


@needs_ipv4
@pytest.mark.parametrize("family", [4, pytest.param(6, marks=needs_ipv6)])
def test_dr_realserver_predicts_vips_and_arp_sysctls(tmp_path, family):
    iface = ADDR4 if family == 4 else ADDR6
    ifname = IF4 if family == 4 else IF6
    vip = "198.51.100.10" if family == 4 else "2001:db8:100::10"
    inventory = {"all": {
        "vars": {"lvs_services": [{"name": "web", "vip": vip, "port": 80, "mode": "dr",
                                   "directors": ["lb1"], "realservers": [{"host": "me"}]}]},
        "children": {
            "lvs_directors": {"hosts": {"lb1": {"lvs_address": "%s/%d" % (_other_host(iface), iface.network.prefixlen),
                                                "lvs_director_vip_interface": "eth9"}}},
            "lvs_dr_realservers": {"hosts": {"me": _me(iface)}}}}}
    before = _snapshot()
    rc, out = _run(tmp_path, inventory, "dr_realserver")
    assert rc == 0, out
    # lvs.cluster.host_net shows, with --diff, the commands that would reconcile the host.
    block = _task(out, "Configure the VIPs, the non-ARPing device and the ARP sysctls")
    sysctl_lines = [line for line in block.splitlines() if line.startswith("+sysctl -w ")]
    if family == 4:
        assert "addr replace 198.51.100.10/32 dev lo" in block, out
        # arp_ignore=1 / arp_announce=2 on all and on the data interface, where not already set.
        words = " ".join(sysctl_lines).split()
        for dev in ("all", ifname.replace(".", "/")):
            for key, value in (("arp_ignore", "1"), ("arp_announce", "2")):
                name = "net.ipv4.conf.%s.%s" % (dev, key)
                assert (("%s=%s" % (name, value)) in words) == (_sysctl(name) != value), out
    else:
        assert "addr replace 2001:db8:100::10/128 dev lo nodad" in block, out
        assert sysctl_lines == [], out
    assert _snapshot() == before, "check mode changed the machine"


@needs_ipv4
@pytest.mark.parametrize("family", [4, pytest.param(6, marks=needs_ipv6)])
def test_nat_realserver_predicts_the_return_route_via_the_dip(tmp_path, family):
    iface = ADDR4 if family == 4 else ADDR6
    ifname = IF4 if family == 4 else IF6
    dip = _other_host(iface)
    vip = "198.51.100.30" if family == 4 else "2001:db8:100::30"
    inventory = {"all": {
        "vars": {"lvs_services": [{"name": "web", "vip": vip, "port": 8080, "mode": "nat",
                                   "directors": ["lb1"], "realservers": [{"host": "me", "port": 80}]}]},
        "children": {
            "lvs_directors": {"hosts": {"lb1": {
                "lvs_address": "2001:db8:200::1/64" if family == 6 else "203.0.113.1/24",
                "lvs_director_vip_interface": "eth8", "lvs_director_internal_interface": "eth9",
                "lvs_director_internal_address": "%s/%d" % (dip, iface.network.prefixlen)}}},
            "lvs_nat_realservers": {"hosts": {"me": _me(iface)}}}}}
    before = _snapshot()
    rc, out = _run(tmp_path, inventory, "nat_realserver")
    assert rc == 0, out
    default = "0.0.0.0/0" if family == 4 else "::/0"
    assert "route replace %s via %s dev %s metric 10" % (default, dip, ifname) in out, out
    assert _snapshot() == before, "check mode changed the machine"


@needs_ipv4
def test_nat_realserver_preflight_names_host_service_and_rule(tmp_path):
    # The DIP is not on-link: the role must fail before changing anything, naming all three.
    inventory = {"all": {
        "vars": {"lvs_services": [{"name": "web", "vip": "198.51.100.30", "port": 8080, "mode": "nat",
                                   "directors": ["lb1"], "realservers": [{"host": "me", "port": 80}]}]},
        "children": {
            "lvs_directors": {"hosts": {"lb1": {
                "lvs_address": "203.0.113.1/24", "lvs_director_vip_interface": "eth8",
                "lvs_director_internal_interface": "eth9", "lvs_director_internal_address": "198.18.0.1/24"}}},
            "lvs_nat_realservers": {"hosts": {"me": _me("198.18.0.2/24")}}}}}
    rc, out = _run(tmp_path, inventory, "nat_realserver")
    assert rc != 0
    assert "host me, service web (198.51.100.30:8080/tcp nat): lvs_address 198.18.0.2/24 is not configured" in out, out
    assert "[preflight-address]" in out and "[preflight-gateway]" in out, out


@needs_ipv4
def test_a_role_on_a_host_the_model_does_not_know_fails_clearly(tmp_path):
    # "me" is in no LVS group and no service names it.
    inventory = {"all": {
        "vars": {"lvs_services": [{"name": "web", "vip": "198.51.100.10", "port": 80, "mode": "dr",
                                   "directors": ["lb1"], "realservers": [{"host": "rs1"}]}]},
        "hosts": {"me": _me(ADDR4)},
        "children": {
            "lvs_directors": {"hosts": {"lb1": {"lvs_address": "%s/%d" % (_other_host(ADDR4), ADDR4.network.prefixlen),
                                                "lvs_director_vip_interface": "eth9"}}},
            "lvs_dr_realservers": {"hosts": {"rs1": {"lvs_address": "%s/%d" % (_other_host(ADDR4), ADDR4.network.prefixlen)}}}}}}
    before = _snapshot()
    rc, out = _run(tmp_path, inventory, "dr_realserver")
    assert rc != 0
    assert "host me: not in the LVS model" in out and "[model-unknown-host]" in out, out
    # Stopped on the controller: the host_net module never ran.
    assert "Configure the VIPs" not in out, out
    assert _snapshot() == before


@needs_ipv4
def test_a_role_in_its_own_play_validates_once_not_per_host(tmp_path):
    # Two inventory names for this machine, both DR real servers of one service. They share
    # lvs_address, which the validator reports against the second host only.
    inventory = {"all": {
        "vars": {"lvs_services": [{"name": "web", "vip": "198.51.100.10", "port": 80, "mode": "dr",
                                   "directors": ["lb1"], "realservers": [{"host": "me"}, {"host": "me2"}]}]},
        "children": {
            "lvs_directors": {"hosts": {"lb1": {"lvs_address": "%s/%d" % (_other_host(ADDR4), ADDR4.network.prefixlen),
                                                "lvs_director_vip_interface": "eth9"}}},
            "lvs_dr_realservers": {"hosts": {"me": _me(ADDR4), "me2": _me(ADDR4)}}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    play = [{"name": "check mode", "hosts": "me:me2", "gather_facts": False,
             "roles": [{"role": "lvs.cluster.dr_realserver"}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    before = _snapshot()
    proc = subprocess.run([ANSIBLE_PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml"), "--check"],
                          env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=300, check=False)
    out = proc.stdout
    # run_once: one validation for the play, not one per host.
    assert _task(out, "Validate the LVS inventory once for this play").count("ok: [") == 1, out
    # Each host stops on its own findings only: me2 (the duplicate) fails before it is contacted...
    stop = _task(out, "Stop before any change when the model rejects this host")
    assert "fatal: [me2]" in stop and "[duplicate-address]" in stop and "skipping: [me]" in stop, out
    # ...and me goes on to its host_net call.
    assert "changed: [me]" in _task(out, "Configure the VIPs"), out
    assert proc.returncode != 0
    assert _snapshot() == before
