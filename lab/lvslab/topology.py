"""Topology files: parsing and validation (pure: no processes, no network, no files but the YAML).

A topology (lab/topologies/<name>.yml) names the L2 segments, the hosts, each host's data NICs
(eth1.. in order; eth0 is always the management NIC and is not described here), the static
data-plane addresses and whatever routes/sysctls the *infrastructure* needs (a router that
forwards, a route to the TUN subnet, a TUN real server's default route). Everything the roles
under test are responsible for (VIPs, the DIP, a NAT real server's gateway, ARP sysctls) is
deliberately absent: hosts start bare. See lab/README.md for the format.

Every problem found is reported (all at once) by TopologyError before anything is started.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HOST_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
NIC_RE = re.compile(r"^eth([0-9]+)$")
SYSCTL_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")
SYSCTL_VAL_RE = re.compile(r"^[A-Za-z0-9_.:/-]+$")

TOP_KEYS = {"name", "description", "segments", "hosts"}
SEGMENT_KEYS = {"subnet", "description", "reserved"}
HOST_KEYS = {"description", "groups", "nics", "routes", "sysctl", "memory"}
NIC_KEYS = {"segment", "address"}
ROUTE_KEYS = {"to", "via"}
DEFAULT_MEMORY = 512
# qemu user networking's fixed subnet on every host's eth0; data segments must not overlap it
MGMT_NET = ipaddress.IPv4Network("10.0.2.0/24")
MAX_NICS = 8


class TopologyError(ValueError):
    """Invalid topology; .problems lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"invalid topology {source}:\n  - " + "\n  - ".join(problems))


@dataclass
class Nic:
    name: str  # eth1, eth2, ...
    segment: str
    address: ipaddress.IPv4Interface | None


@dataclass
class Route:
    to: str  # "default" or a CIDR
    via: ipaddress.IPv4Address
    dev: str  # the NIC the gateway is on-link for


@dataclass
class Host:
    name: str
    index: int  # 0-based position in the topology file (ports and MACs derive from it)
    nics: list[Nic]
    routes: list[Route] = field(default_factory=list)
    sysctl: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    memory: int = DEFAULT_MEMORY
    description: str = ""


@dataclass
class Segment:
    name: str
    subnet: ipaddress.IPv4Network
    reserved: dict[str, ipaddress.IPv4Address] = field(default_factory=dict)
    description: str = ""


@dataclass
class Topology:
    name: str
    segments: dict[str, Segment]
    hosts: dict[str, Host]
    description: str = ""
    source: str = ""

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for h in self.hosts.values():
            for g in h.groups:
                out.setdefault(g, []).append(h.name)
        return out


# --- YAML with duplicate detection ----------------------------------------------------------
# PyYAML silently keeps the last of two equal mapping keys, which would hide a duplicate host
# or NIC. Compose the node graph instead and convert it ourselves, so duplicates are reported
# with what they are (host, NIC, segment) and their line.

_WHAT = {("segments",): "segment", ("hosts",): "host", ("hosts", "*", "nics"): "NIC"}


def _what(path: tuple) -> str:
    for pattern, what in _WHAT.items():
        if len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path)):
            return what
    return "key"


def _convert(node, path: tuple, problems: list[str]):
    if isinstance(node, yaml.MappingNode):
        out = {}
        for knode, vnode in node.value:
            key = yaml.SafeLoader.construct_scalar(yaml.SafeLoader(""), knode) if isinstance(knode, yaml.ScalarNode) else None
            if key is None:
                problems.append(f"line {knode.start_mark.line + 1}: non-scalar key")
                continue
            if key in out:
                where = ".".join(path) or "top level"
                problems.append(f"duplicate {_what(path)} '{key}' in {where} (line {knode.start_mark.line + 1})")
                continue
            out[key] = _convert(vnode, path + (key,), problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + ("[]",), problems) for v in node.value]
    # scalars: let SafeLoader resolve ints/bools/nulls
    loader = yaml.SafeLoader("")
    return loader.construct_object(node, deep=True)


def load_yaml(text: str, problems: list[str]):
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        problems.append(f"YAML syntax: {exc}")
        return None
    if node is None:
        return None
    return _convert(node, (), problems)


# --- validation -----------------------------------------------------------------------------

def _unknown(keys, allowed, where, problems):
    for k in sorted(set(keys) - allowed):
        problems.append(f"{where}: unknown key '{k}' (allowed: {', '.join(sorted(allowed))})")


def parse(text: str, source: str = "<string>") -> Topology:
    problems: list[str] = []
    data = load_yaml(text, problems)  # duplicate keys are reported, the rest is still checked
    if not isinstance(data, dict):
        raise TopologyError(source, problems or ["a topology is a mapping with 'segments' and 'hosts'"])
    _unknown(data, TOP_KEYS, "top level", problems)
    name = str(data.get("name") or Path(source).stem)

    segments: dict[str, Segment] = {}
    raw_segs = data.get("segments")
    if not isinstance(raw_segs, dict) or not raw_segs:
        problems.append("'segments' must be a non-empty mapping of segment name -> {subnet: CIDR}")
        raw_segs = {}
    for sname, sdef in raw_segs.items():
        sname = str(sname)
        if not NAME_RE.match(sname):
            problems.append(f"segment '{sname}': name must match {NAME_RE.pattern}")
        if isinstance(sdef, str):
            sdef = {"subnet": sdef}
        if not isinstance(sdef, dict):
            problems.append(f"segment '{sname}': expected a CIDR or a mapping with 'subnet'")
            continue
        _unknown(sdef, SEGMENT_KEYS, f"segment '{sname}'", problems)
        try:
            subnet = ipaddress.IPv4Network(str(sdef.get("subnet")))
        except ValueError as exc:
            problems.append(f"segment '{sname}': bad subnet {sdef.get('subnet')!r}: {exc}")
            continue
        reserved = {}
        for rname, raddr in (sdef.get("reserved") or {}).items():
            try:
                a = ipaddress.IPv4Address(str(raddr))
            except ValueError:
                problems.append(f"segment '{sname}': reserved '{rname}': bad address {raddr!r}")
                continue
            if a not in subnet:
                problems.append(f"segment '{sname}': reserved '{rname}' {a} is outside {subnet}")
            reserved[str(rname)] = a
        segments[sname] = Segment(sname, subnet, reserved, str(sdef.get("description", "")))
    for a, b in _pairs(list(segments.values())):
        if a.subnet.overlaps(b.subnet):
            problems.append(f"segments '{a.name}' ({a.subnet}) and '{b.name}' ({b.subnet}) overlap")
    for s in segments.values():
        if s.subnet.overlaps(MGMT_NET):
            problems.append(f"segment '{s.name}' ({s.subnet}) overlaps the management network 10.0.2.0/24")

    # address -> "who" for duplicate detection; reserved addresses count as taken
    taken: dict[ipaddress.IPv4Address, str] = {}
    for s in segments.values():
        for rname, a in s.reserved.items():
            if a in taken:
                problems.append(f"duplicate address {a}: reserved '{rname}' and {taken[a]}")
            taken.setdefault(a, f"reserved '{rname}' of segment '{s.name}'")

    hosts: dict[str, Host] = {}
    raw_hosts = data.get("hosts")
    if not isinstance(raw_hosts, dict) or not raw_hosts:
        problems.append("'hosts' must be a non-empty mapping of host name -> {nics: ...}")
        raw_hosts = {}
    for idx, (hname, hdef) in enumerate(raw_hosts.items()):
        hname = str(hname)
        where = f"host '{hname}'"
        if not HOST_RE.match(hname):
            problems.append(f"{where}: name must match {HOST_RE.pattern} (it becomes the hostname)")
        if hdef is None:
            hdef = {}
        if not isinstance(hdef, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        _unknown(hdef, HOST_KEYS, where, problems)
        host = Host(name=hname, index=idx, nics=[], description=str(hdef.get("description", "")))
        mem = hdef.get("memory", DEFAULT_MEMORY)
        if not isinstance(mem, int) or not 256 <= mem <= 4096:
            problems.append(f"{where}: memory must be an integer MiB between 256 and 4096")
        else:
            host.memory = mem
        groups = hdef.get("groups") or []
        if not isinstance(groups, list) or not all(isinstance(g, str) and NAME_RE.match(g) for g in groups):
            problems.append(f"{where}: groups must be a list of names matching {NAME_RE.pattern}")
        else:
            host.groups = list(groups)

        raw_nics = hdef.get("nics") or {}
        if not isinstance(raw_nics, dict):
            problems.append(f"{where}: nics must be a mapping eth1: {{segment: ..., address: ...}}")
            raw_nics = {}
        if len(raw_nics) > MAX_NICS:
            problems.append(f"{where}: at most {MAX_NICS} data NICs")
        seen_segments: dict[str, str] = {}
        for pos, (nname, ndef) in enumerate(raw_nics.items(), start=1):
            nname = str(nname)
            nwhere = f"{where} NIC '{nname}'"
            m = NIC_RE.match(nname)
            if nname == "eth0":
                problems.append(f"{nwhere}: eth0 is the management NIC; data NICs start at eth1")
                continue
            if not m or int(m.group(1)) != pos:
                problems.append(f"{nwhere}: data NICs must be named eth1, eth2, ... in order (expected eth{pos})")
            if isinstance(ndef, str):
                ndef = {"segment": ndef}
            if not isinstance(ndef, dict):
                problems.append(f"{nwhere}: expected a mapping with 'segment' and optional 'address'")
                continue
            _unknown(ndef, NIC_KEYS, nwhere, problems)
            seg_name = ndef.get("segment")
            seg = segments.get(str(seg_name)) if seg_name is not None else None
            if seg is None:
                known = ", ".join(sorted(segments)) or "none"
                problems.append(f"{nwhere}: unknown segment {seg_name!r} (known: {known})")
            elif seg.name in seen_segments:
                problems.append(f"{nwhere}: segment '{seg.name}' is already on {seen_segments[seg.name]}")
            else:
                seen_segments[seg.name] = nname
            addr = None
            if ndef.get("address") is not None:
                raw = str(ndef["address"])
                try:
                    if "/" not in raw and seg is not None:
                        raw = f"{raw}/{seg.subnet.prefixlen}"
                    addr = ipaddress.IPv4Interface(raw)
                except ValueError as exc:
                    problems.append(f"{nwhere}: bad address {ndef['address']!r}: {exc}")
                    addr = None
                if addr is not None and seg is not None:
                    if addr.network != seg.subnet:
                        problems.append(f"{nwhere}: address {addr} is not in segment '{seg.name}' ({seg.subnet})")
                    elif addr.ip in (seg.subnet.network_address, seg.subnet.broadcast_address):
                        problems.append(f"{nwhere}: address {addr.ip} is the network or broadcast address of {seg.subnet}")
                if addr is not None:
                    if addr.ip in taken:
                        problems.append(f"duplicate address {addr.ip}: {nwhere} and {taken[addr.ip]}")
                    else:
                        taken[addr.ip] = nwhere
            host.nics.append(Nic(nname, str(seg_name), addr))

        raw_routes = hdef.get("routes") or []
        if not isinstance(raw_routes, list):
            problems.append(f"{where}: routes must be a list of {{to: CIDR|default, via: ADDR}}")
            raw_routes = []
        have_default = False
        for r in raw_routes:
            if not isinstance(r, dict):
                problems.append(f"{where}: route {r!r} must be a mapping {{to, via}}")
                continue
            _unknown(r, ROUTE_KEYS, f"{where} route", problems)
            to = str(r.get("to", ""))
            if to == "default":
                if have_default:
                    problems.append(f"{where}: more than one default route")
                have_default = True
            else:
                try:
                    to = str(ipaddress.IPv4Network(to))
                except ValueError as exc:
                    problems.append(f"{where}: route to {to!r}: {exc}")
                    continue
            try:
                via = ipaddress.IPv4Address(str(r.get("via")))
            except ValueError:
                problems.append(f"{where}: route to {to}: bad gateway {r.get('via')!r}")
                continue
            dev = next((n.name for n in host.nics if n.address is not None and via in n.address.network), None)
            if dev is None:
                problems.append(f"{where}: route to {to}: gateway {via} is not on-link on any of its NICs")
                continue
            if any(n.address is not None and n.address.ip == via for n in host.nics):
                problems.append(f"{where}: route to {to}: gateway {via} is the host's own address")
                continue
            host.routes.append(Route(to, via, dev))

        raw_sysctl = hdef.get("sysctl") or {}
        if not isinstance(raw_sysctl, dict):
            problems.append(f"{where}: sysctl must be a mapping key: value")
            raw_sysctl = {}
        for k, v in raw_sysctl.items():
            v = str(int(v)) if isinstance(v, bool) else str(v)
            if not SYSCTL_RE.match(str(k)) or not SYSCTL_VAL_RE.match(v):
                problems.append(f"{where}: sysctl {k}={v!r} is not a plain key=value")
            else:
                host.sysctl[str(k)] = v
        hosts[hname] = host

    if problems:
        raise TopologyError(source, problems)
    return Topology(name=name, segments=segments, hosts=hosts,
                    description=str(data.get("description", "")), source=source)


def _pairs(items):
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            yield a, b


def load(path: str | Path) -> Topology:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise TopologyError(str(path), [f"cannot read: {exc}"])
    return parse(text, str(path))


def resolve(name_or_path: str, topo_dir: Path) -> Path:
    """'dr' -> lab/topologies/dr.yml; an existing path is taken as is."""
    p = Path(name_or_path)
    if p.suffix in (".yml", ".yaml") or "/" in name_or_path:
        return p
    return topo_dir / f"{name_or_path}.yml"
