# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rule engine over the LVS model: findings with stable rule ids (docs/rules.md).

Every rule runs in one pass over the services plus dictionary look-ups keyed
by address, so validation grows linearly with the inventory.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_ha import (
    HA_GROUP,
    HA_PRIORITY,
    HA_RULES,
    HA_SAME_SEGMENT,
    HA_VRID,
    HEALTH_CHECK,
    HEALTH_CHECK_PATH,
    check_ha,
    parse_ha,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import (
    ERROR,
    GROUP_BY_MODE,
    GROUP_DIRECTORS,
    WARNING,
    Finding,
    Host,
    IPAddress,
    Model,
    Service,
    make_finding,
    parse_inventory,
    same_segment as _same_segment,
)

SCHEMA = "schema"
ROLE_MEMBERSHIP = "role-membership"
ADDRESS_FAMILY = "address-family"
DUPLICATE_ADDRESS = "duplicate-address"
VIP_COLLISION = "vip-collision"
DR_SAME_SEGMENT = "dr-same-segment"
DR_NO_PORT_REMAP = "dr-no-port-remap"
TUN_NO_PORT_REMAP = "tun-no-port-remap"
TUN_SAME_SEGMENT = "tun-same-segment"
NAT_GATEWAY_IS_DIP = "nat-gateway-is-dip"
REALSERVER_IS_DIRECTOR = "realserver-is-director"
NO_REALSERVERS = "no-realservers"
WEIGHT_ALL_ZERO = "weight-all-zero"

RULES = {
    SCHEMA: ERROR,
    ROLE_MEMBERSHIP: ERROR,
    ADDRESS_FAMILY: ERROR,
    DUPLICATE_ADDRESS: ERROR,
    VIP_COLLISION: ERROR,
    DR_SAME_SEGMENT: ERROR,
    DR_NO_PORT_REMAP: ERROR,
    TUN_NO_PORT_REMAP: ERROR,
    TUN_SAME_SEGMENT: WARNING,
    NAT_GATEWAY_IS_DIP: ERROR,
    REALSERVER_IS_DIRECTOR: ERROR,
    NO_REALSERVERS: WARNING,
    WEIGHT_ALL_ZERO: WARNING,
    # Director HA, checked in _lvs_ha.
    HA_GROUP: HA_RULES[HA_GROUP],
    HA_VRID: HA_RULES[HA_VRID],
    HA_PRIORITY: HA_RULES[HA_PRIORITY],
    HA_SAME_SEGMENT: HA_RULES[HA_SAME_SEGMENT],
    HEALTH_CHECK: HA_RULES[HEALTH_CHECK],
    HEALTH_CHECK_PATH: HA_RULES[HEALTH_CHECK_PATH],
}

_MODE_NAME = {"dr": "DR", "tun": "TUN", "nat": "NAT"}


def vip_placement(role, family, vip_interface=None):
    # type: (str, int, Optional[str]) -> str
    """Interface a VIP lives on for a host in ``role`` (director, dr, tun)."""
    if role == "director":
        return str(vip_interface)
    if role == "dr":
        return "lo"
    return "ip6tnl0" if family == 6 else "tunl0"


@dataclass
class ValidationResult:
    model: Model
    findings: List[Finding]

    @property
    def errors(self):
        # type: () -> List[Finding]
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self):
        # type: () -> List[Finding]
        return [f for f in self.findings if f.severity == WARNING]

    def for_host(self, host):
        # type: (str) -> List[Finding]
        return findings_for_host(self.model, self.findings, host)


def findings_for_host(model, findings, host):
    # type: (Model, List[Finding], str) -> List[Finding]
    """Findings that concern ``host``: about it, about a service it takes part
    in, or about the whole inventory (no host, no service)."""
    services = model.memberships.get(host, set())
    return [f for f in findings
            if f.host == host or (f.service is not None and f.service in services)
            or (f.host is None and f.service is None)]


class _Checker:
    def __init__(self, model):
        # type: (Model) -> None
        self.model = model
        self.findings = []  # type: List[Finding]
        self.address_owner = {}  # type: Dict[IPAddress, str]
        self.dip_holders = {}  # type: Dict[IPAddress, List[str]]
        # host -> VIP -> (placement role, service name)
        self.placements = {}  # type: Dict[str, Dict[IPAddress, Tuple[str, str]]]
        # NAT real server -> (gateway it needs, service that needs it)
        self.nat_gateway = {}  # type: Dict[str, Tuple[IPAddress, str]]

    def add(self, rule, reason, host=None, svc=None):
        # type: (str, str, Optional[str], Optional[Service]) -> None
        self.findings.append(make_finding(rule, RULES[rule], reason, host,
                                          svc.name if svc is not None else None,
                                          svc.label if svc is not None else None))

    def run(self):
        # type: () -> List[Finding]
        self._index_addresses()
        for svc in self.model.services:
            self._check_service(svc)
        return self.findings

    def _index_addresses(self):
        # type: () -> None
        for host in self.model.hosts.values():
            if host.address is None:
                continue
            owner = self.address_owner.get(host.address.ip)
            if owner is None:
                self.address_owner[host.address.ip] = host.name
            else:
                self.add(DUPLICATE_ADDRESS, "lvs_address %s is also host %s's lvs_address; every host needs its "
                         "own data-plane address" % (host.address.ip, owner), host=host.name)
        for host in self.model.hosts.values():
            if host.internal_address is None:
                continue
            dip = host.internal_address.ip
            owner = self.address_owner.get(dip)
            if owner is not None and owner != host.name:
                self.add(DUPLICATE_ADDRESS, "DIP %s is host %s's lvs_address; the DIP must be free (or this "
                         "director's own lvs_address for a one-armed NAT)" % (dip, owner), host=host.name)
            self.dip_holders.setdefault(dip, []).append(host.name)

    def _check_service(self, svc):
        # type: (Service) -> None
        directors = []  # type: List[Host]
        for name in svc.directors:
            host = self.model.hosts[name]
            if GROUP_DIRECTORS not in host.groups:
                self.add(ROLE_MEMBERSHIP, "is a director of this service but not in group %s; add it there so the "
                         "director role configures it" % GROUP_DIRECTORS, host=name, svc=svc)
            if host.address is None:
                continue
            if svc.family is not None and host.address.version != svc.family:
                self.add(ADDRESS_FAMILY, "director lvs_address %s is IPv%d but the service is IPv%d; one service "
                         "is one address family throughout" % (host.address, host.address.version, svc.family),
                         host=name, svc=svc)
                continue
            directors.append(host)
        director_names = set(svc.directors)
        group = GROUP_BY_MODE[svc.mode]
        realservers = []  # type: List[Tuple[Host, Any]]
        for rs in svc.realservers:
            host = self.model.hosts[rs.host]
            if group not in host.groups:
                self.add(ROLE_MEMBERSHIP, "is a %s real server of this service but not in group %s; add it there "
                         "so the real server role configures it" % (_MODE_NAME[svc.mode], group),
                         host=rs.host, svc=svc)
            if rs.host in director_names and not svc.allow_director_as_realserver:
                self.add(REALSERVER_IS_DIRECTOR, "is both director and real server of this service; remove it "
                         "from realservers, or set allow_director_as_realserver: true on the service (or "
                         "lvs_allow_director_as_realserver) if it is meant to serve locally", host=rs.host, svc=svc)
            if host.address is None:
                continue
            if svc.family is not None and host.address.version != svc.family:
                reason = ("real server lvs_address %s is IPv%d but the service is IPv%d; one service is one "
                          "address family throughout" % (host.address, host.address.version, svc.family))
                self.add(ADDRESS_FAMILY, reason, host=rs.host, svc=svc)
                continue
            realservers.append((host, rs))

        self._check_vip(svc, directors, realservers)
        if svc.mode == "dr":
            self._check_dr(svc, directors, realservers)
        elif svc.mode == "tun":
            self._check_tun(svc, directors, realservers)
        else:
            self._check_nat(svc, directors, realservers)

        if svc.complete and not svc.realservers:
            self.add(NO_REALSERVERS, "has no real servers, so IPVS drops every connection to it; add real "
                     "servers or remove the service", svc=svc)
        elif svc.complete and all(rs.weight == 0 for rs in svc.realservers):
            self.add(WEIGHT_ALL_ZERO, "every real server has weight 0 (drained), so no new connection is "
                     "scheduled; give at least one real server a weight above 0", svc=svc)

    def _check_vip(self, svc, directors, realservers):
        # type: (Service, List[Host], List[Tuple[Host, Any]]) -> None
        vip = svc.vip
        if vip is None:
            return
        owner = self.address_owner.get(vip)
        if owner is not None:
            self.add(VIP_COLLISION, "VIP %s is this host's lvs_address; a VIP must be an address no host owns, "
                     "so pick a free one" % vip, host=owner, svc=svc)
        for holder in self.dip_holders.get(vip, ()):
            self.add(VIP_COLLISION, "VIP %s is this director's DIP (lvs_director_internal_address); pick a free "
                     "address for the VIP" % vip, host=holder, svc=svc)
        placed = [(h, "director") for h in directors]
        if svc.mode != "nat":
            placed.extend((h, svc.mode) for h, _rs in realservers)
        for host, role in placed:
            where = vip_placement(role, vip.version, host.vip_interface)
            seen = self.placements.setdefault(host.name, {})
            previous = seen.get(vip)
            if previous is None:
                seen[vip] = (role, svc.name)
                continue
            prev_role, prev_service = previous
            prev_where = vip_placement(prev_role, vip.version, host.vip_interface)
            if prev_where == where or prev_service == svc.name:
                continue
            self.add(VIP_COLLISION, "VIP %s must sit on %s here as %s but service %s already needs it on %s as "
                     "%s; one host holds a VIP one way, so serve both services in one mode"
                     % (vip, where, _role_name(role), prev_service, prev_where, _role_name(prev_role)),
                     host=host.name, svc=svc)

    def _check_port(self, rule, svc, realservers):
        # type: (str, Service, List[Tuple[Host, Any]]) -> None
        if svc.fwmark is not None:
            return
        for host, rs in realservers:
            if rs.port != svc.port:
                self.add(rule, "real server port %d differs from service port %d; %s forwards packets unchanged "
                         "and cannot remap ports, so drop the real server port or use mode nat"
                         % (rs.port, svc.port, _MODE_NAME[svc.mode]), host=host.name, svc=svc)

    def _check_dr(self, svc, directors, realservers):
        # type: (Service, List[Host], List[Tuple[Host, Any]]) -> None
        self._check_port(DR_NO_PORT_REMAP, svc, realservers)
        for host, _rs in realservers:
            for director in directors:
                if not _same_segment(host, director):
                    self.add(DR_SAME_SEGMENT, "real server %s and director %s (%s) are not on one subnet; DR "
                             "rewrites only the destination MAC, so put the real server on the director's segment "
                             "or use mode tun" % (host.address, director.name, director.address),
                             host=host.name, svc=svc)

    def _check_tun(self, svc, directors, realservers):
        # type: (Service, List[Host], List[Tuple[Host, Any]]) -> None
        self._check_port(TUN_NO_PORT_REMAP, svc, realservers)
        for host, _rs in realservers:
            for director in directors:
                if _same_segment(host, director):
                    self.add(TUN_SAME_SEGMENT, "real server %s shares a subnet with director %s (%s); mode dr "
                             "would do the same job without the 20-byte IPIP overhead"
                             % (host.address, director.name, director.address), host=host.name, svc=svc)
                    break

    def _check_nat(self, svc, directors, realservers):
        # type: (Service, List[Host], List[Tuple[Host, Any]]) -> None
        dip = None
        dip_owner = None
        for director in directors:
            own = director.internal_address
            if own is None:
                self.add(NAT_GATEWAY_IS_DIP, "director serves a NAT service but has no "
                         "lvs_director_internal_address; set the DIP (e.g. 192.168.10.1/24) its real servers "
                         "route replies through", host=director.name, svc=svc)
                continue
            if own.version != svc.family:
                self.add(ADDRESS_FAMILY, "DIP %s is IPv%d but the service is IPv%d; a NAT director needs a DIP "
                         "of the service's family" % (own, own.version, svc.family), host=director.name, svc=svc)
                continue
            if dip is None:
                dip, dip_owner = own, director.name
            elif own != dip:
                self.add(NAT_GATEWAY_IS_DIP, "DIP %s differs from director %s's DIP %s; the directors of a NAT "
                         "service share one floating DIP because a real server has one gateway"
                         % (own, dip_owner, dip), host=director.name, svc=svc)
        if dip is None:
            return
        for host, _rs in realservers:
            addr = host.address
            if addr.ip not in dip.network:  # type: ignore[union-attr]
                self.add(NAT_GATEWAY_IS_DIP, "real server %s is not in the DIP subnet %s; NAT replies must "
                         "return through the director, so put the real server on %s"
                         % (addr, dip.network, dip.network), host=host.name, svc=svc)
                continue
            if host.gateway is not None:
                if host.gateway != dip.ip:
                    self.add(NAT_GATEWAY_IS_DIP, "lvs_gateway %s is not the DIP %s; NAT replies must return "
                             "through the director, so set lvs_gateway to %s or remove it"
                             % (host.gateway, dip.ip, dip.ip), host=host.name, svc=svc)
                continue
            previous = self.nat_gateway.get(host.name)
            if previous is None:
                self.nat_gateway[host.name] = (dip.ip, svc.name)
            elif previous[0] != dip.ip:
                self.add(NAT_GATEWAY_IS_DIP, "needs gateway %s (this service's DIP) but service %s needs %s; a "
                         "host has one default gateway, so serve both through one DIP"
                         % (dip.ip, previous[1], previous[0]), host=host.name, svc=svc)


def _role_name(role):
    # type: (str) -> str
    return "director" if role == "director" else "%s real server" % _MODE_NAME[role]


def check(model):
    # type: (Model) -> List[Finding]
    """Run every rule except ``schema`` (which parsing reports) on ``model``."""
    return _Checker(model).run() + check_ha(model)


def validate(services, hostvars, groups, allow_director_as_realserver=False, director_groups=None):
    # type: (Any, Any, Any, bool, Any) -> ValidationResult
    """Parse and check a whole inventory.

    :param services: the cluster-wide ``lvs_services`` value.
    :param hostvars: inventory host name -> that host's (templated) variables;
        hosts missing here count as not in the inventory.
    :param groups: group name -> list of host names (only the lvs_* groups are read).
    :param allow_director_as_realserver: global switch for realserver-is-director.
    :param director_groups: the cluster-wide ``lvs_director_groups`` value (None: no group).
    """
    model, findings = parse_inventory(services, hostvars, groups, allow_director_as_realserver)
    findings.extend(parse_ha(model, director_groups, hostvars))
    findings.extend(check(model))
    return ValidationResult(model=model, findings=findings)


def summarize(findings, strict=False):
    # type: (List[Finding], bool) -> Tuple[List[str], bool]
    """The lines that fail the run (errors, plus warnings when strict) and whether it fails."""
    errors = [f.message for f in findings if f.severity == ERROR]
    warnings = [f.message for f in findings if f.severity == WARNING]
    if strict:
        return errors + warnings, bool(errors or warnings)
    return errors, bool(errors)
