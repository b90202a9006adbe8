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

from typing import Any, Dict, Iterable, List, Optional, Set

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


def ipvs_service(model, svc):
    # type: (Model, Service) -> Dict[str, Any]
    """One element of the ``services`` option of the lvs.cluster.ipvs module."""
    keyed = []
    for rs in svc.realservers:
        host = model.hosts.get(rs.host)
        if host is None or host.address is None:
            continue
        ip = host.address.ip
        keyed.append(((ip.version, int(ip), rs.port or 0),
                      {"address": str(ip), "port": rs.port, "weight": rs.weight, "forward": svc.mode}))
    keyed.sort(key=lambda item: item[0])
    realservers = [rs for _key, rs in keyed]
    entry = {
        "protocol": None if svc.fwmark is not None else svc.protocol,
        "address": None if svc.fwmark is not None else str(svc.vip),
        "port": svc.port,
        "fwmark": svc.fwmark,
        "scheduler": svc.scheduler,
        "persistence_timeout": svc.persistence_timeout,
        "realservers": realservers,
    }  # type: Dict[str, Any]
    if svc.fwmark is not None:
        entry["family"] = "inet6" if svc.family == 6 else "inet"
    return entry


def _labels(name, services):
    # type: (str, List[Service]) -> Dict[str, str]
    """Service name -> how the roles' pre-flight messages name it on this host (validator's shape)."""
    return dict((svc.name, "host %s, %s" % (name, svc.label)) for svc in services)


def _ipvs_sort_key(svc):
    # type: (Service) -> Any
    if svc.fwmark is not None:
        return (1, svc.family or 4, svc.fwmark, 0, "")
    return (0, svc.family or 4, int(svc.vip), svc.port, svc.protocol)  # type: ignore[arg-type]


class _View:
    def __init__(self, host):
        # type: (Optional[Host]) -> None
        self.host = host
        self.director = []  # type: List[Service]
        self.dr = []  # type: List[Service]
        self.tun = []  # type: List[Service]
        self.nat = []  # type: List[Service]

    def render(self, model, name, ipvs_cache):
        # type: (Model, str, Dict[int, Dict[str, Any]]) -> Dict[str, Any]
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
            view["director"] = self._director(model, host, ipvs_cache)
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

    def _director(self, model, host, ipvs_cache):
        # type: (Model, Host, Dict[int, Dict[str, Any]]) -> Dict[str, Any]
        services = self.director
        nat = [s for s in services if s.mode == "nat"]
        ipvs = []
        for svc in sorted(services, key=_ipvs_sort_key):
            entry = ipvs_cache.get(svc.index)
            if entry is None:
                entry = ipvs_cache[svc.index] = ipvs_service(model, svc)
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
        return {
            "vip_interface": host.vip_interface,
            "internal_interface": host.internal_interface or host.vip_interface,
            "vips": _sorted_vips(s.vip for s in services if s.vip is not None),
            "internal_address": str(host.internal_address) if nat and host.internal_address is not None else None,
            "ip_forward": any(s.family == 4 for s in nat),
            "ipv6_forward": any(s.family == 6 for s in nat),
            "ipv6": any(s.family == 6 for s in services),
            "scheduler_modules": sorted(set("ip_vs_" + s.scheduler for s in services)),
            "services": sorted(s.name for s in services),
            "ipvs_services": ipvs,
            "dr_realservers": dr_realservers,
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
    return _collect(model, {hostname})[hostname].render(model, hostname, {})


def cluster_view(model):
    # type: (Model) -> Dict[str, Dict[str, Any]]
    """:func:`host_view` for every host of the model, built in one pass.

    Directors of one service share the same ``ipvs_services`` element
    objects; copy before mutating.
    """
    cache = {}  # type: Dict[int, Dict[str, Any]]
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
        out.append(item)
    return out
