"""Topology files: parsing and validation (pure: no processes, no network, no files but the YAML).

A topology (lab/topologies/<name>.yml) names the L2 segments, the hosts, each host's data NICs
(eth1.. in order; eth0 is always the management NIC and is not described here), the static
data-plane addresses and whatever routes/sysctls the *infrastructure* needs (a router that
forwards, a route to the TUN subnet, a TUN real server's default route). Everything the roles
under test are responsible for (VIPs, the DIP, a NAT real server's gateway, ARP sysctls) is
deliberately absent: hosts start bare. See lab/README.md for the format.

IPv4 and IPv6: a segment has an IPv4 subnet, an IPv6 subnet, or both (dual stack: `subnet` IPv4
plus `subnet6`); a NIC has at most one address per family; routes go to `default` (IPv4),
`default6` (IPv6) or a CIDR of either family, via a gateway of the same family. Every check
(duplicates, overlaps, on-link gateways, one default route) applies per family.

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
SEGMENT_KEYS = {"subnet", "subnet6", "description", "reserved"}
HOST_KEYS = {"description", "groups", "nics", "routes", "sysctl", "memory"}
NIC_KEYS = {"segment", "address", "address6"}
ROUTE_KEYS = {"to", "via"}
DEFAULT_MEMORY = 512
# the management network on every host's eth0 (render.MGMT_NET); data segments must not overlap it
MGMT_NET = ipaddress.IPv4Network("10.0.2.0/24")
MAX_NICS = 8
# IPv6 subnets: at most /126 (a /127 or /128 leaves no host address besides the subnet-router
# anycast address); link-local and multicast ranges are not subnets a lab segment can have.
MAX_PREFIX6 = 126
BAD_NETS6 = {"link-local": ipaddress.IPv6Network("fe80::/10"), "multicast": ipaddress.IPv6Network("ff00::/8")}
# route destinations that are the default route of a family (0.0.0.0/0 and ::/0 count too)
DEFAULTS = {"default": 4, "default6": 6}


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
    address6: ipaddress.IPv6Interface | None = None

    @property
    def addresses(self) -> list:
        """The NIC's addresses, IPv4 first."""
        return [a for a in (self.address, self.address6) if a is not None]


@dataclass
class Route:
    to: str  # "default" (IPv4), "default6" (IPv6) or a CIDR of either family
    via: ipaddress.IPv4Address | ipaddress.IPv6Address
    dev: str  # the NIC the gateway is on-link for

    @property
    def version(self) -> int:
        return self.via.version


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
    subnet: ipaddress.IPv4Network | None  # None: IPv6-only segment
    reserved: dict[str, ipaddress.IPv4Address | ipaddress.IPv6Address] = field(default_factory=dict)
    description: str = ""
    subnet6: ipaddress.IPv6Network | None = None

    def subnet_for(self, version: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        return self.subnet if version == 4 else self.subnet6

    @property
    def subnets(self) -> list:
        """The segment's subnets, IPv4 first."""
        return [n for n in (self.subnet, self.subnet6) if n is not None]


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
    value = loader.construct_object(node, deep=True)
    # YAML 1.1 reads digits and colons (2001:0:0:0:0:0:0:1) as a base-60 integer; here such a
    # scalar can only be an IPv6 address, so keep it as written
    if type(value) is int and ":" in node.value:
        return node.value
    return value


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
        if sdef.get("subnet") is None:
            problems.append(f"segment '{sname}': subnet is required (an IPv4 or IPv6 CIDR; "
                            "subnet6 adds IPv6 to an IPv4 subnet)")
            continue
        try:
            subnet = ipaddress.ip_network(str(sdef.get("subnet")))
        except ValueError as exc:
            problems.append(f"segment '{sname}': bad subnet {sdef.get('subnet')!r}: {exc}")
            continue
        subnet6 = None
        if sdef.get("subnet6") is not None:
            try:
                subnet6 = ipaddress.IPv6Network(str(sdef["subnet6"]))
            except ValueError as exc:
                problems.append(f"segment '{sname}': bad subnet6 {sdef['subnet6']!r} (an IPv6 CIDR): {exc}")
                continue
            if subnet.version == 6:
                problems.append(f"segment '{sname}': subnet {subnet} must be IPv4 when subnet6 is given (dual stack)")
                continue
        elif subnet.version == 6:
            subnet6, subnet = subnet, None
        if subnet6 is not None:
            if subnet6.prefixlen > MAX_PREFIX6:
                problems.append(f"segment '{sname}': IPv6 subnet {subnet6} is longer than /{MAX_PREFIX6}")
            for what, bad in BAD_NETS6.items():
                if subnet6.overlaps(bad):
                    problems.append(f"segment '{sname}': IPv6 subnet {subnet6} is {what} ({bad})")
        seg = Segment(sname, subnet, {}, str(sdef.get("description", "")), subnet6)
        raw_reserved = sdef.get("reserved") or {}
        if not isinstance(raw_reserved, dict):
            problems.append(f"segment '{sname}': reserved must be a mapping name: address")
            raw_reserved = {}
        for rname, raddr in raw_reserved.items():
            try:
                a = ipaddress.ip_address(str(raddr))
            except ValueError:
                problems.append(f"segment '{sname}': reserved '{rname}': bad address {raddr!r}")
                continue
            net = seg.subnet_for(a.version)
            if net is None:
                problems.append(f"segment '{sname}': reserved '{rname}' {a} is IPv{a.version} "
                                f"but the segment has no IPv{a.version} subnet")
            elif a not in net:
                problems.append(f"segment '{sname}': reserved '{rname}' {a} is outside {net}")
            seg.reserved[str(rname)] = a
        segments[sname] = seg
    for a, b in _pairs(list(segments.values())):
        for na, nb in zip((a.subnet, a.subnet6), (b.subnet, b.subnet6)):  # same family only
            if na is not None and nb is not None and na.overlaps(nb):
                problems.append(f"segments '{a.name}' ({na}) and '{b.name}' ({nb}) overlap")
    for s in segments.values():
        if s.subnet is not None and s.subnet.overlaps(MGMT_NET):
            problems.append(f"segment '{s.name}' ({s.subnet}) overlaps the management network 10.0.2.0/24")

    # address (either family) -> "who" for duplicate detection; reserved addresses count as taken
    taken: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, str] = {}
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
            addrs: dict[int, ipaddress.IPv4Interface | ipaddress.IPv6Interface] = {}
            for key in ("address", "address6"):
                if ndef.get(key) is None:
                    continue
                addr = _nic_address(str(ndef[key]), key, seg, nwhere, problems)
                if addr is None:
                    continue
                if addr.version in addrs:
                    problems.append(f"{nwhere}: two IPv{addr.version} addresses ({addrs[addr.version]}, {addr}): "
                                    "at most one per family (IPv4 in address, IPv6 in address6)")
                    continue
                addrs[addr.version] = addr
                if addr.ip in taken:
                    problems.append(f"duplicate address {addr.ip}: {nwhere} and {taken[addr.ip]}")
                else:
                    taken[addr.ip] = nwhere
            host.nics.append(Nic(nname, str(seg_name), addrs.get(4), addrs.get(6)))

        raw_routes = hdef.get("routes") or []
        if not isinstance(raw_routes, list):
            problems.append(f"{where}: routes must be a list of {{to: CIDR|default|default6, via: ADDR}}")
            raw_routes = []
        have_default: set[int] = set()  # families that already have a default route
        for r in raw_routes:
            if not isinstance(r, dict):
                problems.append(f"{where}: route {r!r} must be a mapping {{to, via}}")
                continue
            _unknown(r, ROUTE_KEYS, f"{where} route", problems)
            to = str(r.get("to", ""))
            if to in DEFAULTS:
                family = DEFAULTS[to]
            else:
                try:
                    net = ipaddress.ip_network(to)
                except ValueError as exc:
                    problems.append(f"{where}: route to {to!r}: {exc} (a CIDR, default or default6)")
                    continue
                family = net.version
                # 0.0.0.0/0 and ::/0 are the default routes, whatever they are called
                to = ("default" if family == 4 else "default6") if net.prefixlen == 0 else str(net)
            if to in DEFAULTS:
                if family in have_default:
                    problems.append(f"{where}: more than one {'IPv6 ' if family == 6 else ''}default route")
                have_default.add(family)
            try:
                via = ipaddress.ip_address(str(r.get("via")))
            except ValueError:
                problems.append(f"{where}: route to {to}: bad gateway {r.get('via')!r}")
                continue
            if via.version != family:
                problems.append(f"{where}: route to {to}: gateway {via} is IPv{via.version}, the destination IPv{family}")
                continue
            dev = next((n.name for n in host.nics for a in n.addresses if via in a.network), None)
            if dev is None:
                problems.append(f"{where}: route to {to}: gateway {via} is not on-link on any of its NICs")
                continue
            if any(a.ip == via for n in host.nics for a in n.addresses):
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


def _nic_address(raw: str, key: str, seg: Segment | None, nwhere: str, problems: list[str]):
    """A NIC's `address`/`address6` as an interface of the segment's subnet of its family, or None.

    The prefix is optional (taken from that subnet); `address6` must be IPv6. Problems are
    appended, not raised, so every one of them is reported.
    """
    try:
        version = ipaddress.ip_address(raw.split("/", 1)[0]).version
        net = seg.subnet_for(version) if seg is not None else None
        if "/" not in raw and net is not None:
            raw = f"{raw}/{net.prefixlen}"
        addr = ipaddress.ip_interface(raw)
    except ValueError as exc:
        problems.append(f"{nwhere}: bad {key} {raw!r}: {exc}")
        return None
    if key == "address6" and addr.version != 6:
        problems.append(f"{nwhere}: address6 {addr} is not an IPv6 address")
        return None
    if seg is None:
        return addr
    if net is None:
        problems.append(f"{nwhere}: address {addr} is IPv{addr.version} "
                        f"but segment '{seg.name}' has no IPv{addr.version} subnet")
    elif addr.network != net:
        problems.append(f"{nwhere}: address {addr} is not in segment '{seg.name}' ({net})")
    elif addr.version == 4 and addr.ip in (net.network_address, net.broadcast_address):
        problems.append(f"{nwhere}: address {addr.ip} is the network or broadcast address of {net}")
    elif addr.version == 6 and addr.ip == net.network_address:
        problems.append(f"{nwhere}: address {addr.ip} is the subnet-router anycast address of {net}")
    return addr


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
