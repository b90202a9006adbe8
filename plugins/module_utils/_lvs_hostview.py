# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-host views of the LVS model: what each role must configure on one host.

The views are plain JSON-able dicts so the action plugin can return them and
the roles can template from them. They are only meaningful for an inventory
without errors; entries that failed parsing are simply absent.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from ansible_collections.lvs.cluster.plugins.module_utils._inet import INET, INET6, service_key
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_ha import advert_version, probe_family, probe_marks
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import (
    Host,
    IPAddress,
    Model,
    Service,
)


def _host_prefix(vip):
    # type: (IPAddress) -> str
    return "%s/%d" % (vip, vip.max_prefixlen)


def _sorted_vips(vips):
    # type: (Iterable[IPAddress]) -> List[str]
    return [_host_prefix(v) for v in sorted(set(vips), key=lambda a: (a.version, int(a)))]


def _realservers(model, svc):
    # type: (Model, Service) -> List[Tuple[str, IPAddress, Dict[str, Any]]]
    """(host name, address, ipvs real server entry) of each real server with an address, by address and port."""
    keyed = []
    for rs in svc.realservers:
        host = model.hosts.get(rs.host)
        if host is None or host.address is None:
            continue
        ip = host.address.ip
        keyed.append(((ip.version, int(ip), rs.port or 0), rs.host, ip,
                      {"address": str(ip), "port": rs.port, "weight": rs.weight, "forward": svc.mode}))
    keyed.sort(key=lambda item: item[0])
    return [(name, ip, entry) for _key, name, ip, entry in keyed]


def ipvs_service(model, svc):
    # type: (Model, Service) -> Dict[str, Any]
    """One element of the ``services`` option of the lvs.cluster.ipvs module."""
    entry = {
        "protocol": None if svc.fwmark is not None else svc.protocol,
        "address": None if svc.fwmark is not None else str(svc.vip),
        "port": svc.port,
        "fwmark": svc.fwmark,
        "scheduler": svc.scheduler,
        "persistence_timeout": svc.persistence_timeout,
        "realservers": [rs for _name, _ip, rs in _realservers(model, svc)],
    }  # type: Dict[str, Any]
    if svc.fwmark is not None:
        entry["family"] = "inet6" if svc.family == 6 else "inet"
    return entry


def _owned_key(svc):
    # type: (Service) -> List[Any]
    """The service's IPVS key (_inet.service_key) as a list: what keepalived writes for it."""
    family = INET6 if svc.family == 6 else INET
    address = str(svc.vip) if svc.vip is not None else None
    return list(service_key(svc.protocol, address, svc.port, svc.fwmark, family))


def _labels(name, services):
    # type: (str, List[Service]) -> Dict[str, str]
    """Service name -> how the roles' pre-flight messages name it on this host (validator's shape)."""
    return dict((svc.name, "host %s, %s" % (name, svc.label)) for svc in services)


def _ipvs_sort_key(svc):
    # type: (Service) -> Any
    if svc.fwmark is not None:
        return (1, svc.family or 4, svc.fwmark, 0, "")
    return (0, svc.family or 4, int(svc.vip), svc.port, svc.protocol)  # type: ignore[arg-type]


class _Cache:
    """What every host's view shares: ipvs_service() entries by service index, probe marks."""

    def __init__(self, model):
        # type: (Model) -> None
        self.model = model
        self.ipvs = {}  # type: Dict[int, Dict[str, Any]]
        self._marks = None  # type: Optional[Dict[Tuple[str, int, str], int]]

    @property
    def marks(self):
        # type: () -> Dict[Tuple[str, int, str], int]
        if self._marks is None:
            self._marks = probe_marks(self.model)
        return self._marks


class _View:
    def __init__(self, host):
        # type: (Optional[Host]) -> None
        self.host = host
        self.director = []  # type: List[Service]
        self.dr = []  # type: List[Service]
        self.tun = []  # type: List[Service]
        self.nat = []  # type: List[Service]

    def render(self, model, name, cache):
        # type: (Model, str, _Cache) -> Dict[str, Any]
        host = self.host
        address = host.address if host is not None else None
        view = {
            "host": name,
            "address": str(address) if address is not None else None,
            "family": address.version if address is not None else None,
            "director": None,
            "dr_realserver": None,
            "tun_realserver": None,
            "nat_realserver": None,
        }  # type: Dict[str, Any]
        if self.director and host is not None:
            view["director"] = self._director(model, host, cache)
        for key, services in (("dr_realserver", self.dr), ("tun_realserver", self.tun)):
            if services:
                view[key] = {"vips": _sorted_vips(s.vip for s in services if s.vip is not None),
                             "services": sorted(s.name for s in services),
                             "labels": _labels(name, services)}
        if self.nat:
            view["nat_realserver"] = self._nat(model, host)
            view["nat_realserver"]["labels"] = _labels(name, self.nat)
        if view["director"] is not None:
            view["director"]["labels"] = _labels(name, self.director)
        return view

    def _director(self, model, host, cache):
        # type: (Model, Host, _Cache) -> Dict[str, Any]
        services = self.director
        nat = [s for s in services if s.mode == "nat"]
        ipvs = []
        for svc in sorted(services, key=_ipvs_sort_key):
            if svc.health_check is not None:
                continue  # keepalived writes it (keepalived.virtual_servers)
            entry = cache.ipvs.get(svc.index)
            if entry is None:
                entry = cache.ipvs[svc.index] = ipvs_service(model, svc)
            ipvs.append(entry)
        # The director's pre-flight asks the kernel how it reaches each DR real server.
        dr_realservers = []
        for svc in services:
            if svc.mode != "dr":
                continue
            for rs in svc.realservers:
                rs_host = model.hosts.get(rs.host)
                if rs_host is not None and rs_host.address is not None:
                    dr_realservers.append({"service": svc.name, "host": rs.host, "address": str(rs_host.address.ip)})
        # In a director group keepalived owns the VIPs and the DIP (keepalived.vrrp.addresses).
        grouped = host.name in model.group_of
        return {
            "vip_interface": host.vip_interface,
            "internal_interface": host.internal_interface or host.vip_interface,
            "vips": [] if grouped else _sorted_vips(s.vip for s in services if s.vip is not None),
            "internal_address": (str(host.internal_address) if nat and host.internal_address is not None
                                 and not grouped else None),
            "ip_forward": any(s.family == 4 for s in nat),
            "ipv6_forward": any(s.family == 6 for s in nat),
            "ipv6": any(s.family == 6 for s in services),
            "scheduler_modules": sorted(set("ip_vs_" + s.scheduler for s in services)),
            "services": sorted(s.name for s in services),
            "ipvs_services": ipvs,
            "dr_realservers": dr_realservers,
            "keepalived": _keepalived(model, host, services, cache),
        }

    def _nat(self, model, host):
        # type: (Model, Optional[Host]) -> Dict[str, Any]
        gateway = None  # type: Optional[str]
        networks = set()  # type: Set[Any]
        for svc in self.nat:
            for name in svc.directors:
                director = model.hosts.get(name)
                if director is not None and director.internal_address is not None:
                    dip = director.internal_address
                    networks.add(dip.network)
                    if gateway is None:
                        gateway = str(dip.ip)
        if host is not None and host.gateway is not None:
            gateway = str(host.gateway)
        return {
            "gateway": gateway,
            "services": sorted(s.name for s in self.nat),
            "director_networks": [str(n) for n in sorted(networks, key=lambda n: (n.version, n))],
        }


def _vrrp(model, host, group, services):
    # type: (Model, Host, Any, List[Service]) -> Dict[str, Any]
    """The director's VRRP instance: its group's id, its priority, the addresses it floats."""
    peers = []
    for name in group.directors:
        peer = model.hosts.get(name)
        if name != host.name and peer is not None and peer.address is not None:
            peers.append(str(peer.address.ip))
    vips = sorted(set(s.vip for s in services if s.vip is not None), key=lambda a: (a.version, int(a)))
    addresses = [{"address": _host_prefix(vip), "device": host.vip_interface, "family": vip.version}
                 for vip in vips]
    track = [host.vip_interface]
    dip = host.internal_address
    internal = host.internal_interface or host.vip_interface
    # A one-armed NAT DIP is the director's own lvs_address: that one never floats.
    if (dip is not None and any(s.mode == "nat" for s in services)
            and (host.address is None or dip.ip != host.address.ip)):
        addresses.append({"address": str(dip), "device": internal, "family": dip.version})
        if internal != host.vip_interface:
            track.append(internal)
    return {
        "group": group.name,
        "instance": "lvs_" + group.name,
        "interface": host.vip_interface,
        "virtual_router_id": group.virtual_router_id,
        "advert_int": group.advert_int,
        "version": advert_version(group.advert_int, host.family),
        "priority": group.priorities.get(host.name),
        "preempt": group.preempt,
        "unicast_src": str(host.address.ip) if host.address is not None else None,
        "unicast_peers": peers,
        "addresses": addresses,
        "sync": group.sync,
        "sync_interface": group.sync_interface or host.vip_interface,
        "sync_id": group.virtual_router_id,
        "track_interfaces": track,
    }


def _keepalived(model, host, services, cache):
    # type: (Model, Host, List[Service], _Cache) -> Optional[Dict[str, Any]]
    """What keepalived does on this director: VRRP for its group, the health-checked services."""
    group = model.group_of.get(host.name)
    checked = [s for s in sorted(services, key=_ipvs_sort_key) if s.health_check is not None]
    if group is None and not checked:
        return None
    bindto = str(host.address.ip) if host.address is not None else None
    virtual_servers = []
    probes = {}  # type: Dict[int, Dict[str, Any]]
    owned = []
    for svc in checked:
        check = svc.health_check
        via_vip = check.via == "vip"
        family = probe_family(svc)
        entry = ipvs_service(model, svc)
        entry["name"] = svc.name
        entry["check"] = check.to_dict()
        realservers = []
        for name, ip, rs in _realservers(model, svc):
            mark = cache.marks.get((family, int(ip), svc.mode)) if via_vip else None
            rs.update({"host": name, "check_port": check.port or rs["port"],
                       "connect_ip": str(svc.vip) if via_vip else None, "fwmark": mark,
                       "bindto": bindto if via_vip else None})
            realservers.append(rs)
            if mark is not None and mark not in probes:
                probes[mark] = {"fwmark": mark, "family": family, "address": str(ip), "forward": svc.mode,
                                "host": name}
        entry["realservers"] = realservers
        virtual_servers.append(entry)
        owned.append(_owned_key(svc))
    probe_list = [probes[mark] for mark in sorted(probes)]
    owned.extend(list(service_key(None, None, None, p["fwmark"], p["family"])) for p in probe_list)
    return {
        "vrrp": _vrrp(model, host, group, services) if group is not None else None,
        "virtual_servers": virtual_servers,
        "probes": probe_list,
        "owned": owned,
        "checker_sysctls": {"accept_local": 1} if any(s.health_check.via == "vip" for s in checked) else {},
    }


def _collect(model, only=None):
    # type: (Model, Optional[Set[str]]) -> Dict[str, _View]
    views = {}  # type: Dict[str, _View]
    for name, host in model.hosts.items():
        if only is None or name in only:
            views[name] = _View(host)
    for name in only or ():
        views.setdefault(name, _View(model.hosts.get(name)))
    for svc in model.services:
        for name in svc.directors:
            view = views.get(name)
            if view is not None:
                view.director.append(svc)
        for rs in svc.realservers:
            view = views.get(rs.host)
            if view is not None:
                bucket = getattr(view, svc.mode)
                if not bucket or bucket[-1] is not svc:
                    bucket.append(svc)
    return views


def host_view(model, hostname):
    # type: (Model, str) -> Dict[str, Any]
    """What the roles need to configure ``hostname`` (see docs/inventory.md)."""
    return _collect(model, {hostname})[hostname].render(model, hostname, _Cache(model))


def cluster_view(model):
    # type: (Model) -> Dict[str, Dict[str, Any]]
    """:func:`host_view` for every host of the model, built in one pass.

    Directors of one service share the same ``ipvs_services`` element
    objects; copy before mutating.
    """
    cache = _Cache(model)
    return dict((name, view.render(model, name, cache)) for name, view in _collect(model).items())


def service_list(model):
    # type: (Model) -> List[Dict[str, Any]]
    """The parsed services, in inventory order, with every default applied and each real
    server's address resolved: what verify.yml probes and reports on (``lvs_services`` shape)."""
    out = []
    for svc in model.services:
        realservers = []
        for rs in svc.realservers:
            host = model.hosts.get(rs.host)
            entry = {"host": rs.host, "weight": rs.weight,
                     "address": str(host.address.ip) if host is not None and host.address is not None else None}
            if rs.port is not None:
                entry["port"] = rs.port
            realservers.append(entry)
        item = {"name": svc.name, "mode": svc.mode, "protocol": svc.protocol, "port": svc.port,
                "scheduler": svc.scheduler, "persistence_timeout": svc.persistence_timeout,
                "directors": list(svc.directors), "realservers": realservers}
        if svc.vip is not None:
            item["vip"] = str(svc.vip)
        if svc.fwmark is not None:
            item["fwmark"] = svc.fwmark
        item["health_check"] = svc.health_check.to_dict() if svc.health_check is not None else None
        out.append(item)
    return out


def group_list(model):
    # type: (Model) -> List[Dict[str, Any]]
    """The director groups in inventory order: ``name``, ``directors``, ``virtual_router_id``,
    ``vips`` (host prefix, as in a director's view) and ``dip`` (the floating NAT DIP with its
    prefix, or None): where playbooks look for which directors share which addresses."""
    vips = dict((id(g), set()) for g in model.director_groups)  # type: Dict[int, Set[Any]]
    nat = set()  # type: Set[int]
    for svc in model.services:
        group = model.group_of.get(svc.directors[0]) if svc.directors else None
        if group is None:
            continue
        if svc.vip is not None:
            vips[id(group)].add(svc.vip)
        if svc.mode == "nat":
            nat.add(id(group))
    out = []
    for group in model.director_groups:
        dip = None
        if id(group) in nat:
            for name in group.directors:
                host = model.hosts.get(name)
                if host is not None and host.internal_address is not None:
                    dip = str(host.internal_address)
                    break
        out.append({"name": group.name, "directors": list(group.directors),
                    "virtual_router_id": group.virtual_router_id, "vips": _sorted_vips(vips[id(group)]),
                    "dip": dip, "sync": group.sync})
    return out
