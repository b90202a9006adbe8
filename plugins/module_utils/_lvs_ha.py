# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Director high availability in the LVS model: director groups (VRRP) and health checks.

Parses ``lvs_director_groups``, ``lvs_director_priority`` and the services'
``health_check`` into the :class:`~_lvs_model.Model` that
``_lvs_model.parse_inventory`` built, and checks the HA rules (docs/rules.md:
``ha-group``, ``ha-vrid``, ``ha-priority``, ``ha-same-segment``,
``health-check``, ``health-check-path``). Pure like the model: no I/O, and
nothing raises on user data.

Malformed group entries (not a mapping, unknown keys, wrong types, a bad or
duplicate name) are ``schema`` findings; everything inside ``health_check``
is rule ``health-check``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple, Union

from ansible_collections.lvs.cluster.plugins.module_utils._inet import (
    INET,
    INET6,
    MAX_PORT,
    PROBE_FWMARK_BASE,
    PROBE_FWMARK_COUNT,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import (
    _NAME_RE,
    ERROR,
    GROUP_DIRECTORS,
    WARNING,
    Finding,
    Model,
    Service,
    Unresolved,
    _is_int,
    _is_list,
    _parse_ifname,
    _short,
    _type_name,
    make_finding,
    same_segment,
)

HA_GROUP = "ha-group"
HA_VRID = "ha-vrid"
HA_PRIORITY = "ha-priority"
HA_SAME_SEGMENT = "ha-same-segment"
HEALTH_CHECK = "health-check"
HEALTH_CHECK_PATH = "health-check-path"

HA_RULES = {
    HA_GROUP: ERROR,
    HA_VRID: ERROR,
    HA_PRIORITY: ERROR,
    HA_SAME_SEGMENT: ERROR,
    HEALTH_CHECK: ERROR,
    HEALTH_CHECK_PATH: WARNING,
}

GROUP_VAR = "lvs_director_groups"
GROUP_KEYS = ("name", "directors", "virtual_router_id", "advert_int", "preempt", "sync", "sync_interface")
CHECK_KEYS = ("type", "port", "path", "status", "interval", "timeout", "retries", "via")
CHECK_TYPES = ("tcp", "http")
VIAS = ("vip", "rip")

MAX_VRID = 255
MIN_PRIORITY = 1
MAX_PRIORITY = 254
# Default priorities by position in a group's directors: 200, 190, 180, ...
DEFAULT_PRIORITY = 200
PRIORITY_STEP = 10
DEFAULT_ADVERT_INT = 1
DEFAULT_CHECK = {"path": "/", "status": 200, "interval": 3, "timeout": 1, "retries": 1}

Number = Union[int, float]


@dataclass
class DirectorGroup:
    index: int
    name: str
    directors: List[str]
    virtual_router_id: Optional[int]
    advert_int: Number = DEFAULT_ADVERT_INT
    preempt: bool = False
    sync: bool = True
    sync_interface: Optional[str] = None
    # director -> effective VRRP priority (lvs_director_priority or by position)
    priorities: Dict[str, int] = field(default_factory=dict)

    @property
    def label(self):
        # type: () -> str
        return "director group %s" % self.name


@dataclass
class HealthCheck:
    type: str
    port: Optional[int]
    path: Optional[str]
    status: Optional[int]
    interval: int
    timeout: int
    retries: int
    via: str

    def to_dict(self):
        # type: () -> Dict[str, Any]
        return {"type": self.type, "port": self.port, "path": self.path, "status": self.status,
                "interval": self.interval, "timeout": self.timeout, "retries": self.retries, "via": self.via}


def default_priority(position):
    # type: (int) -> int
    return max(MIN_PRIORITY, DEFAULT_PRIORITY - PRIORITY_STEP * position)


def parse_advert_int(value):
    # type: (Any) -> Optional[Number]
    """Seconds: an integer 1-255 (VRRPv2), or a number with at most 2 decimals
    from 0.01 to 40.95 (VRRPv3 counts centiseconds); None when invalid."""
    if _is_int(value):
        return value if 1 <= value <= 255 else None
    if not isinstance(value, float) or not math.isfinite(value):
        return None
    if value.is_integer():
        return int(value) if 1 <= value <= 255 else None
    cents = round(value * 100)
    if abs(value * 100 - cents) > 1e-6 or not 1 <= cents <= 4095:
        return None
    return cents / 100.0


def advert_version(advert_int, family=4):
    # type: (Number, Optional[int]) -> int
    """VRRP version: 3 for a sub-second interval or IPv6 (VRRPv2 has neither)."""
    return 3 if not _is_int(advert_int) or family == 6 else 2


class _HAParser:
    def __init__(self, model, raw_groups, hostvars):
        # type: (Model, Any, Any) -> None
        self.model = model
        self.raw = raw_groups
        self.hostvars = hostvars if isinstance(hostvars, Mapping) else {}
        self.findings = []  # type: List[Finding]

    def add(self, rule, reason, host=None, service=None, label=None):
        # type: (str, str, Optional[str], Optional[str], Optional[str]) -> None
        severity = ERROR if rule == "schema" else HA_RULES[rule]
        self.findings.append(make_finding(rule, severity, reason, host, service, label, scope=GROUP_VAR))

    def run(self):
        # type: () -> List[Finding]
        explicit = self._parse_priorities()
        for group in self._parse_groups():
            for position, name in enumerate(group.directors):
                group.priorities[name] = explicit.get(name, default_priority(position))
            self.model.director_groups.append(group)
            for name in group.directors:
                self.model.group_of.setdefault(name, group)
        for svc in self.model.services:
            if svc.health_check_raw is not None:
                svc.health_check, reasons = parse_health_check(svc.health_check_raw, svc)
                for reason in reasons:
                    self.findings.append(make_finding(HEALTH_CHECK, ERROR, reason, service=svc.name,
                                                      label=svc.label))
        return self.findings

    # -- lvs_director_priority ---------------------------------------------------
    def _parse_priorities(self):
        # type: () -> Dict[str, int]
        names = list(self.model.groups.get(GROUP_DIRECTORS, ()))
        for svc in self.model.services:
            names.extend(svc.directors)
        raw = self.raw if _is_list(self.raw) else ()
        for entry in raw:
            if isinstance(entry, Mapping) and _is_list(entry.get("directors")):
                names.extend(d for d in entry["directors"] if isinstance(d, str))
        explicit = {}  # type: Dict[str, int]
        reported = set()  # type: Set[str]
        for name in names:
            if name in explicit or name in reported:
                continue
            hv = self.hostvars.get(name)
            value = hv.get("lvs_director_priority") if isinstance(hv, Mapping) else None
            if value is None:
                continue
            if _is_int(value) and MIN_PRIORITY <= value <= MAX_PRIORITY:
                explicit[name] = value
                continue
            reported.add(name)
            if isinstance(value, Unresolved):
                reason = "lvs_director_priority could not be templated (%s); fix the variable" % value.error
            else:
                reason = ("lvs_director_priority %s must be an integer from %d to %d (255 is reserved for the "
                          "VRRP address owner)" % (_short(value), MIN_PRIORITY, MAX_PRIORITY))
            self.add(HA_PRIORITY, reason, host=name)
        return explicit

    # -- lvs_director_groups -----------------------------------------------------
    def _parse_groups(self):
        # type: () -> List[DirectorGroup]
        raw = self.raw
        if raw is None:
            return []
        if isinstance(raw, Unresolved):
            self.add("schema", "could not be templated (%s); fix the variable" % raw.error)
            return []
        if not _is_list(raw):
            self.add("schema", "must be a list of director groups {name, directors, virtual_router_id}, got %s"
                     % _type_name(raw))
            return []
        groups = []
        seen_names = {}  # type: Dict[str, int]
        for index, item in enumerate(raw):
            group = self._parse_group(index, item, seen_names)
            if group is not None:
                groups.append(group)
        return groups

    def _parse_group(self, index, item, seen_names):
        # type: (int, Any, Dict[str, int]) -> Optional[DirectorGroup]
        label = "%s[%d]" % (GROUP_VAR, index)
        if isinstance(item, Unresolved):
            self.add("schema", "could not be templated (%s); fix the variable" % item.error, label=label)
            return None
        if not isinstance(item, Mapping):
            self.add("schema", "must be a mapping with name, directors and virtual_router_id, got %s"
                     % _type_name(item), label=label)
            return None
        errors = []  # type: List[str]
        fatal = False
        name = item.get("name")
        if isinstance(name, str) and _NAME_RE.match(name):
            if name in seen_names:
                errors.append("name %s is already used by %s[%d]; director group names must be unique"
                              % (name, GROUP_VAR, seen_names[name]))
                fatal = True
            else:
                seen_names[name] = index
                label = "director group %s" % name
        else:
            fatal = True
            if name is None:
                errors.append("name is required")
            else:
                errors.append("name %s must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or "
                              "digit" % _short(name))
        unknown = sorted(str(k) for k in item if k not in GROUP_KEYS)
        if unknown:
            errors.append("unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(GROUP_KEYS)))

        directors = []  # type: List[str]
        raw = item.get("directors")
        if not _is_list(raw):
            errors.append("directors must be a list of at least two lvs_directors host names, got %s"
                          % _type_name(raw))
            fatal = True
        else:
            for entry in raw:
                if not isinstance(entry, str):
                    errors.append("directors entry %s must be an inventory host name" % _short(entry))
                    fatal = True
                elif entry in directors:
                    errors.append("director %s is listed twice" % entry)
                else:
                    directors.append(entry)

        advert = item.get("advert_int", DEFAULT_ADVERT_INT)
        advert_int = parse_advert_int(advert)
        if advert_int is None:
            errors.append("advert_int %s must be an integer from 1 to 255 seconds, or a number with at most 2 "
                          "decimals from 0.01 to 40.95 (sub-second intervals use VRRPv3)" % _short(advert))
            advert_int = DEFAULT_ADVERT_INT
        flags = {}  # type: Dict[str, bool]
        for key, default in (("preempt", False), ("sync", True)):
            value = item.get(key, default)
            if not isinstance(value, bool):
                errors.append("%s must be true or false, got %s" % (key, _type_name(value)))
                value = default
            flags[key] = value
        sync_interface = None  # type: Optional[str]
        if item.get("sync_interface") is not None:
            sync_interface, reason = _parse_ifname(item["sync_interface"], "sync_interface")
            if reason:
                errors.append(reason)

        for reason in errors:
            self.add("schema", reason, label=label)
        if fatal:
            self.model.ha_unknown.update(d for d in (raw if _is_list(raw) else ()) if isinstance(d, str))
            return None
        vrid = item.get("virtual_router_id")
        if not (_is_int(vrid) and 1 <= vrid <= MAX_VRID):
            if vrid is None:
                reason = ("virtual_router_id is required: the VRRP id (1-%d) of the group, unique among the groups "
                          "on its segment" % MAX_VRID)
            else:
                reason = "virtual_router_id %s must be an integer from 1 to %d" % (_short(vrid), MAX_VRID)
            self.add(HA_VRID, reason, label=label)
            vrid = None
        return DirectorGroup(index=index, name=str(name), directors=directors, virtual_router_id=vrid,
                             advert_int=advert_int, preempt=flags["preempt"], sync=flags["sync"],
                             sync_interface=sync_interface)


def parse_health_check(raw, svc):
    # type: (Any, Service) -> Tuple[Optional[HealthCheck], List[str]]
    """``(check with every default applied, [])`` or ``(None, reasons)``."""
    if isinstance(raw, Unresolved):
        return None, ["health_check could not be templated (%s); fix the variable" % raw.error]
    if not isinstance(raw, Mapping):
        return None, ["health_check must be a mapping {type, port, path, status, interval, timeout, retries, "
                      "via}, got %s" % _type_name(raw)]
    reasons = []  # type: List[str]
    unknown = sorted(str(k) for k in raw if k not in CHECK_KEYS)
    if unknown:
        reasons.append("health_check has unknown key(s) %s; allowed: %s"
                       % (", ".join(unknown), ", ".join(CHECK_KEYS)))
    kind = raw.get("type")
    if kind not in CHECK_TYPES:
        reasons.append("health_check type %s must be one of %s" % (_short(kind), ", ".join(CHECK_TYPES)))
    elif kind == "http" and svc.protocol == "udp":
        reasons.append("health_check type http on a UDP service: HTTP runs over TCP; use type tcp against a TCP "
                       "port the real servers listen on, or remove the check")
    if kind != "http":
        for key in ("path", "status"):
            if key in raw:
                reasons.append("health_check %s is only for type http; remove it or use type http" % key)

    port = raw.get("port")
    if port is not None and not (_is_int(port) and 1 <= port <= MAX_PORT):
        reasons.append("health_check port %s must be an integer from 1 to %d" % (_short(port), MAX_PORT))
    elif port is None and svc.fwmark is not None:
        reasons.append("health_check port is required on a fwmark service: its real servers have no port of "
                       "their own to check")
    path = raw.get("path", DEFAULT_CHECK["path"])
    if not (isinstance(path, str) and path.startswith("/") and not any(c.isspace() for c in path)):
        reasons.append("health_check path %s must be a URL path starting with '/', without spaces" % _short(path))
    status = raw.get("status", DEFAULT_CHECK["status"])
    if not (_is_int(status) and 100 <= status <= 599):
        reasons.append("health_check status %s must be an HTTP status code from 100 to 599" % _short(status))

    numbers = {}  # type: Dict[str, int]
    for key, low, what in (("interval", 1, "number of seconds >= 1"), ("timeout", 1, "number of seconds >= 1"),
                           ("retries", 0, ">= 0")):
        value = raw.get(key, DEFAULT_CHECK[key])
        if _is_int(value) and value >= low:
            numbers[key] = value
        else:
            reasons.append("health_check %s %s must be an integer %s" % (key, _short(value), what))
    if "interval" in numbers and "timeout" in numbers and numbers["timeout"] >= numbers["interval"]:
        reasons.append("health_check timeout %d must be less than interval %d: a check still waiting when the next "
                       "one starts hides a dead real server; lower timeout or raise interval"
                       % (numbers["timeout"], numbers["interval"]))

    via = raw.get("via", "rip" if svc.mode == "nat" else "vip")
    if via not in VIAS:
        reasons.append("health_check via %s must be one of %s" % (_short(via), ", ".join(VIAS)))
    elif via == "vip" and svc.mode == "nat":
        reasons.append("health_check via vip on a NAT service: NAT already reaches each real server at its own "
                       "address through the director, so rip is the forwarding path; set via: rip or remove via")
    elif via == "vip" and svc.vip is None:
        reasons.append("health_check via vip needs the service's vip: a fwmark service without vip has no address "
                       "to check through; add vip or set via: rip")
    if reasons:
        return None, reasons
    is_http = kind == "http"
    return HealthCheck(type=str(kind), port=port, path=path if is_http else None,
                       status=status if is_http else None, interval=numbers["interval"],
                       timeout=numbers["timeout"], retries=numbers["retries"], via=str(via)), []


def parse_ha(model, director_groups, hostvars):
    # type: (Model, Any, Any) -> List[Finding]
    """Add the director groups, priorities and health checks to ``model``.

    Returns ``schema`` findings for malformed group entries, ``ha-vrid`` and
    ``ha-priority`` findings for out-of-range values and ``health-check``
    findings for invalid checks (the check is then left out: None).
    """
    return _HAParser(model, director_groups, hostvars).run()


def probe_family(svc):
    # type: (Service) -> str
    return INET6 if svc.family == 6 else INET


def _probe_keys(model):
    # type: (Model) -> Set[Tuple[str, int, str]]
    keys = set()  # type: Set[Tuple[str, int, str]]
    for svc in model.services:
        check = svc.health_check
        if check is None or check.via != "vip":
            continue
        for rs in svc.realservers:
            host = model.hosts.get(rs.host)
            if host is not None and host.address is not None:
                keys.add((probe_family(svc), int(host.address.ip), svc.mode))
    return keys


def probe_marks(model):
    # type: (Model) -> Dict[Tuple[str, int, str], int]
    """``(family, int(real server address), forward)`` -> probe fwmark, cluster-wide.

    One probe per distinct real server path used by a ``via: vip`` check, numbered
    in sorted order from PROBE_FWMARK_BASE, so every director uses the same mark
    for the same probe. Keys beyond PROBE_FWMARK_COUNT get no mark (rule health-check).
    """
    ordered = sorted(_probe_keys(model))[:PROBE_FWMARK_COUNT]
    return dict((key, PROBE_FWMARK_BASE + index) for index, key in enumerate(ordered))


class _HAChecker:
    def __init__(self, model):
        # type: (Model) -> None
        self.model = model
        self.findings = []  # type: List[Finding]

    def add(self, rule, reason, host=None, group=None, svc=None):
        # type: (str, str, Optional[str], Optional[DirectorGroup], Optional[Service]) -> None
        if svc is not None:
            label = svc.label  # type: Optional[str]
        else:
            label = group.label if group is not None else None
        self.findings.append(make_finding(rule, HA_RULES[rule], reason, host,
                                          svc.name if svc is not None else None, label, scope=GROUP_VAR))

    def run(self):
        # type: () -> List[Finding]
        for group in self.model.director_groups:
            self._check_group(group)
        self._check_vrids()
        for svc in self.model.services:
            self._check_service_group(svc)
            self._check_service_health(svc)
        self._check_probe_count()
        return self.findings

    def _hosts(self, group):
        # type: (DirectorGroup) -> List[Any]
        """The group's directors that have a usable lvs_address."""
        hosts = []
        for name in group.directors:
            host = self.model.hosts.get(name)
            if host is not None and host.address is not None:
                hosts.append(host)
        return hosts

    def _check_group(self, group):
        # type: (DirectorGroup) -> None
        directors_group = set(self.model.groups.get(GROUP_DIRECTORS, ()))
        for name in group.directors:
            if name not in directors_group:
                self.add(HA_GROUP, "is in the directors of this group but not in group %s; add it there so the "
                         "director role configures it, or remove it from the group" % GROUP_DIRECTORS,
                         host=name, group=group)
            owner = self.model.group_of.get(name)
            if owner is not None and owner is not group:
                self.add(HA_GROUP, "is already a director of director group %s; a director runs one VRRP "
                         "instance, so it belongs to at most one group" % owner.name, host=name, group=group)
        if len(group.directors) < 2:
            self.add(HA_GROUP, "has %d director(s); VRRP needs at least two, so add a director or remove the "
                     "group (a single director needs none)" % len(group.directors), group=group)
        hosts = self._hosts(group)
        for host in hosts[1:]:
            if not same_segment(hosts[0], host):
                self.add(HA_SAME_SEGMENT, "lvs_address %s and director %s (%s) are not on one subnet; VRRP moves "
                         "a VIP by gratuitous ARP, which only reaches the VIP's segment, so put the group's "
                         "directors on one segment" % (host.address, hosts[0].name, hosts[0].address),
                         host=host.name, group=group)
        seen = {}  # type: Dict[int, str]
        for name in group.directors:
            priority = group.priorities[name]
            if priority in seen:
                self.add(HA_PRIORITY, "VRRP priority %d is also director %s's; give each director of the group "
                         "its own lvs_director_priority (default: 200, 190, ... by position in directors)"
                         % (priority, seen[priority]), host=name, group=group)
            else:
                seen[priority] = name

    def _check_vrids(self):
        # type: () -> None
        by_vrid = {}  # type: Dict[int, List[DirectorGroup]]
        for group in self.model.director_groups:
            if group.virtual_router_id is None:
                continue
            for other in by_vrid.get(group.virtual_router_id, ()):
                clash = self._shared_segment(group, other)
                if clash is not None:
                    self.add(HA_VRID, "virtual_router_id %d is also director group %s's, whose director %s shares "
                             "this director's segment; VRRP tells groups on a segment apart by this id, so give "
                             "each its own" % (group.virtual_router_id, other.name, clash[1]),
                             host=clash[0], group=group)
            by_vrid.setdefault(group.virtual_router_id, []).append(group)

    def _shared_segment(self, group, other):
        # type: (DirectorGroup, DirectorGroup) -> Optional[Tuple[str, str]]
        for mine in self._hosts(group):
            for theirs in self._hosts(other):
                if mine.name != theirs.name and same_segment(mine, theirs):
                    return mine.name, theirs.name
        return None

    def _check_service_group(self, svc):
        # type: (Service) -> None
        if any(name in self.model.ha_unknown for name in svc.directors):
            return
        group_of = self.model.group_of
        groups = [group_of.get(name) for name in svc.directors]
        if len(svc.directors) >= 2 and (groups[0] is None or any(g is not groups[0] for g in groups)):
            where = ", ".join("%s in %s" % (name, "director group %s" % g.name if g is not None else "no group")
                              for name, g in zip(svc.directors, groups))
            self.add(HA_GROUP, "directors %s are not all in one director group (%s); two directors without a "
                     "director group would both hold the VIP, so list them in one %s entry"
                     % (", ".join(svc.directors), where, GROUP_VAR), svc=svc)
            return
        group = groups[0] if groups else None
        if group is None:
            return
        missing = [name for name in group.directors if name not in svc.directors]
        if missing:
            self.add(HA_GROUP, "is served by %s of director group %s but not by %s; the group's VRRP instance moves "
                     "every VIP of its directors to the master, so the service must list all of the group's "
                     "directors" % (", ".join(svc.directors), group.name, ", ".join(missing)), svc=svc)

    def _check_service_health(self, svc):
        # type: (Service) -> None
        if svc.fwmark is not None and PROBE_FWMARK_BASE <= svc.fwmark < PROBE_FWMARK_BASE + PROBE_FWMARK_COUNT:
            self.add(HEALTH_CHECK, "fwmark %d lies in %d-%d, the marks lvs.cluster reserves for health-check "
                     "probes; pick a mark outside that range" % (
                         svc.fwmark, PROBE_FWMARK_BASE, PROBE_FWMARK_BASE + PROBE_FWMARK_COUNT - 1), svc=svc)
        check = svc.health_check
        if check is not None and check.via == "rip" and svc.mode in ("dr", "tun"):
            self.add(HEALTH_CHECK_PATH, "health_check via rip on a %s service: a check sent to the real server's "
                     "own address passes even when its VIP or ARP setup is broken, while the forwarding path "
                     "black-holes the traffic; use via: vip" % svc.mode.upper(), svc=svc)

    def _check_probe_count(self):
        # type: () -> None
        count = len(_probe_keys(self.model))
        if count > PROBE_FWMARK_COUNT:
            self.findings.append(make_finding(
                HEALTH_CHECK, ERROR, "via vip checks need %d probe marks but only %d are reserved; check some "
                "services via rip" % (count, PROBE_FWMARK_COUNT), scope="lvs_services"))


def check_ha(model):
    # type: (Model) -> List[Finding]
    """The HA rules that need the whole model (run after :func:`parse_ha`)."""
    return _HAChecker(model).run()
