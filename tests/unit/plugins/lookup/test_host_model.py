# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lookup('lvs.cluster.host_model'): one host's part of the run's model, read without templating."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
from ansible.errors import AnsibleError

from ansible_collections.lvs.cluster.plugins.lookup.host_model import LookupModule, part

MODEL = {"host_views": {"dr1": {"host": "dr1", "dr_realserver": {"vips": ["10.0.0.10/32"]}}},
         "host_findings": {"dr1": {"errors": [], "warnings": ["host dr1: w [rule]"]}}}


class FakeHostVars(object):
    """HostVars.raw_get: a host's variables as stored; records which hosts were read."""

    def __init__(self, by_host):
        self.by_host = by_host
        self.read = []

    def raw_get(self, host):
        self.read.append(host)
        return self.by_host.get(host, {})


def run(terms, by_host, **kwargs):
    hostvars = FakeHostVars(by_host)
    variables = {"hostvars": hostvars, "inventory_hostname": "dr1"}
    return LookupModule().run(terms, variables, **kwargs), hostvars


def test_part_of_a_known_host_carries_its_view_and_findings():
    got = part(MODEL, "dr1")
    assert got == {"found": True, "known": True, "view": MODEL["host_views"]["dr1"],
                   "errors": [], "warnings": ["host dr1: w [rule]"]}


def test_part_of_an_unknown_host():
    assert part(MODEL, "web9") == {"found": True, "known": False, "view": None, "errors": [], "warnings": []}


def test_no_model_at_all():
    assert part(None, "dr1")["found"] is False and part(None, "dr1")["known"] is False


def test_reads_the_model_registered_on_localhost():
    got, hostvars = run(["dr1", "web9"], {"localhost": {"lvs_cluster_model": MODEL}})
    assert [g["known"] for g in got] == [True, False]
    assert hostvars.read == ["localhost"]


def test_falls_back_to_the_calling_hosts_own_validation():
    got, hostvars = run(["dr1"], {"dr1": {"dr_realserver__validation": MODEL}}, fallback="dr_realserver__validation")
    assert got[0]["view"] == MODEL["host_views"]["dr1"]
    assert hostvars.read == ["localhost", "dr1"]


def test_a_skipped_validation_is_no_model():
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    got, dummy = run(["dr1"], {"dr1": {"dr_realserver__validation": skipped}}, fallback="dr_realserver__validation")
    assert got[0]["found"] is False


def test_an_unknown_option_is_an_error():
    with pytest.raises(AnsibleError, match="fallbak"):
        run(["dr1"], {}, fallbak="x")


DIRECTOR = {"host_views": {"lb1": {"host": "lb1", "director": {"ipvs_services": [
    {"protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": None, "scheduler": "wlc",
     "persistence_timeout": None, "realservers": [{"address": "10.0.0.11", "port": 80, "weight": 1,
                                                   "forward": "dr"}]}]}}}}


def test_ipvs_rules_are_the_directors_services_as_text():
    got, dummy = run(["lb1", "dr1", "web9"], {"localhost": {"lvs_cluster_model": DIRECTOR}}, ipvs_rules=True)
    assert got[0]["ipvs_rules"] == "-A -t 10.0.0.10:80 -s wlc\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1\n"
    assert got[1]["ipvs_rules"] == "" and got[2]["ipvs_rules"] == ""
    assert "ipvs_rules" not in run(["lb1"], {"localhost": {"lvs_cluster_model": DIRECTOR}})[0][0]
    assert part(None, "lb1", rules=True)["ipvs_rules"] == ""


def test_ipvs_rules_of_a_malformed_view_name_the_host():
    bad = {"host_views": {"lb1": {"director": {"ipvs_services": [{"address": "10.0.0.10"}]}}}}
    with pytest.raises(AnsibleError, match="host lb1: its ipvs_services: services.0..port: required"):
        run(["lb1"], {"localhost": {"lvs_cluster_model": bad}}, ipvs_rules=True)
    with pytest.raises(AnsibleError, match="ipvs_rules must be true or false"):
        run(["lb1"], {}, ipvs_rules="yes")
