# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit and property tests of the host network delta (plugins/module_utils/_net_delta.py).

The live state is given the way the role reads it: ``ip -j addr show`` (a list of link
dicts), one ``ip -j route show`` list per family, and ``sysctl -e`` lines ``key = value``.
A small host simulator applies the ``ip -batch`` lines and ``sysctl -w`` assignments with
the kernel's semantics (a failing command raises, as ``ip -batch`` without ``-force``
stops at the first failure) so the properties check the result, not the text.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy
import json

import pytest
from hypothesis import given, settings, strategies as st

from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import (
    STATE_MARKER, boot_lines, compute, index_deprecated, index_live, parse_state, route_families, state_line,
    wants_deprecated,
)

# --------------------------------------------------------------------------------------
# Fixture builders: the shapes `ip -j addr show`, `ip -j route show` and `sysctl -e` print.
# --------------------------------------------------------------------------------------

_FLAGS = {
    'loopback': ['LOOPBACK', 'UP', 'LOWER_UP'],
    'ether': ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    'dummy': ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'],
    'fallback': ['NOARP', 'UP', 'LOWER_UP'],
}


def addr_info(cidr, **extra):
    """One ``addr_info`` entry of ``ip -j addr`` for ``cidr`` ('10.0.0.10/32', 'fd00::10/128')."""
    local, prefixlen = cidr.split('/')
    info = {'family': 'inet6' if ':' in local else 'inet', 'local': local, 'prefixlen': int(prefixlen),
            'scope': 'global', 'valid_life_time': 4294967295, 'preferred_life_time': 4294967295}
    info.update(extra)
    return info


def deprecated_info(cidr):
    """``addr_info`` of an address added with ``nodad preferred_lft 0``, as iproute2 6.1 prints it:
    the ``deprecated`` flag, and for IPv6 a preferred lifetime of 0 (IPv4 keeps printing the stored
    lifetime, 4294967295, beside the flag)."""
    extra = {'nodad': True, 'deprecated': True}
    if ':' in cidr:
        extra['preferred_life_time'] = 0
    return addr_info(cidr, **extra)


def ip_link(name, addrs=(), up=True, mtu=1500, kind='ether', ifindex=None):
    """One link of ``ip -j addr show``; a down link lacks the UP/LOWER_UP flags. ``addrs``:
    CIDR strings or ready ``addr_info`` dicts (see deprecated_info)."""
    flags = [f for f in _FLAGS[kind] if up or f not in ('UP', 'LOWER_UP')]
    entry = {'ifindex': ifindex or 1, 'ifname': name, 'flags': flags, 'mtu': mtu,
             'qdisc': 'noqueue', 'operstate': 'UNKNOWN' if up else 'DOWN',
             'addr_info': [a if isinstance(a, dict) else addr_info(a) for a in addrs]}
    if kind == 'fallback':
        entry['link'] = 'NONE'
    return entry


def ip_lo(*extra_addrs, **kw):
    return ip_link('lo', ('127.0.0.1/8',) + tuple(extra_addrs) + ('::1/128',), mtu=65536, kind='loopback', ifindex=1, **kw)


def ip_eth0(*extra_addrs):
    return ip_link('eth0', ('192.168.1.21/24',) + tuple(extra_addrs), ifindex=2)


def ip_route(dst, gateway=None, dev='eth0', metric=None, **extra):
    """One entry of ``ip -j route show``: 'default', a bare host address, or a prefix;
    an IPv4 route of metric 0 prints no ``metric`` key at all."""
    entry = {'dst': dst, 'dev': dev, 'flags': []}
    if gateway is not None:
        entry['gateway'] = gateway
        entry['protocol'] = 'static'
    if metric is not None:
        entry['metric'] = metric
    entry.update(extra)
    return entry


def kernel_route(dst, gateway, dev):
    """The connected route of an interface address (always present, never ours)."""
    return ip_route(dst, dev=dev, protocol='kernel', scope='link', prefsrc=gateway)


def sysctl_out(values):
    """``sysctl -e k1 k2 ...`` output lines."""
    return ['%s = %s' % (k, v) for k, v in values.items()]


def address(dev, cidr, flags=''):
    return {'dev': dev, 'address': cidr, 'flags': flags}


def route(dst, via, dev='eth0', metric=10):
    return {'dst': dst, 'via': via, 'dev': dev, 'metric': metric}


def desired(links=(), addresses=(), routes=(), sysctl=None, modules=()):
    return {'links': list(links), 'addresses': list(addresses), 'routes': list(routes),
            'sysctl': dict(sysctl or {}), 'modules': list(modules)}


def is_add(line):
    return line.startswith(('link add', 'addr replace', 'route replace')) or (
        line.startswith('link set') and ' up' in line)


def is_removal(line):
    return line.startswith(('route del', 'addr del', 'link del')) or (
        line.startswith('link set') and line.endswith(' down'))


# --------------------------------------------------------------------------------------
# A tiny host simulator with the kernel's semantics for the lines compute() emits.
# --------------------------------------------------------------------------------------

class SimError(Exception):
    """A command `ip -batch` (without -force) or `sysctl -w` would fail on."""


def _family(text):
    return '-6' if ':' in text else '-4'


def _live_dst(dst):
    """How `ip -j route` prints a destination."""
    if dst in ('0.0.0.0/0', '::/0'):
        return 'default'
    if dst.endswith('/32') and ':' not in dst or dst.endswith('/128'):
        return dst.split('/')[0]
    return dst


class Host(object):
    """Links, addresses, main-table routes, sysctls and modules of one host."""

    def __init__(self, links=None, addrs=(), routes=(), sysctl=None, modules=(), deprecated=()):
        self.links = {'lo': {'up': True, 'mtu': 65536, 'kind': 'loopback'},
                      'eth0': {'up': True, 'mtu': 1500, 'kind': 'ether'}}
        self.links.update(copy.deepcopy(links or {}))
        self.addrs = set(addrs)                      # (dev, 'address/len')
        self.deprecated = set(deprecated) & self.addrs   # added with preferred_lft 0
        self.routes = {}                             # (family, live dst, metric) -> (via, dev)
        for r in routes:
            self._route_replace(r['dst'], r['via'], r['dev'], int(r['metric']))
        self.sysctl = dict(sysctl or {})
        self.modules = set(modules)

    # -- reads, as the role runs them --------------------------------------------------
    def ip_addr(self):
        out = []
        for index, name in enumerate(sorted(self.links, key=lambda n: (n != 'lo', n != 'eth0', n))):
            link = self.links[name]
            addrs = [deprecated_info(a) if (d, a) in self.deprecated else a for d, a in sorted(self.addrs) if d == name]
            out.append(ip_link(name, addrs, up=link['up'], mtu=link['mtu'], kind=link['kind'], ifindex=index + 1))
        return out

    def ip_routes(self, families):
        out = []
        for family in families:
            listing = []
            for (fam, dst, metric), (via, dev) in sorted(self.routes.items()):
                if fam != family:
                    continue
                extra = {'pref': 'medium'} if fam == '-6' else {}
                listing.append(ip_route(dst, via, dev, metric if (metric or fam == '-6') else None, **extra))
            out.append(listing)
        return out

    def sysctl_lines(self, keys):
        return ['%s = %s' % (k, self.sysctl[k]) for k in keys if k in self.sysctl]

    def route_keys(self):
        return set((dst, via, dev, metric) for (_f, dst, metric), (via, dev) in self.routes.items())

    # -- the role's run ------------------------------------------------------------------
    def run(self, want, previous, prune):
        """main.yml: read, compute, modprobe, sysctl -w, ip -batch, sysctl -w (restore)."""
        previous = previous or {}
        families = route_families(want.get('routes'), previous)
        keys = list(want.get('sysctl') or {}) + [k for k in previous.get('sysctl') or {} if k not in (want.get('sysctl') or {})]
        result = compute(want, previous, self.ip_addr(), self.ip_routes(families), self.sysctl_lines(keys), prune)
        for module in result['load_modules']:
            self.modprobe(module)
        self.sysctl_w(result['set_sysctl'])
        self.batch(result['lines'])
        self.sysctl_w(result['restore_sysctl'])
        return result

    def modprobe(self, module):
        self.modules.add(module)
        if module == 'ipv6' and not self.has_ipv6():
            # The IPv6 stack appears: its sysctls, and ::1 on lo.
            self.sysctl.setdefault('net.ipv6.conf.all.forwarding', '0')
            self.addrs.add(('lo', '::1/128'))
        if module == 'ip_vs':
            for key in ('net.ipv4.vs.conn_reuse_mode', 'net.ipv4.vs.expire_nodest_conn',
                        'net.ipv4.vs.expire_quiescent_template'):
                self.sysctl.setdefault(key, '1' if key.endswith('reuse_mode') else '0')
        if module == 'ipip' and 'tunl0' not in self.links:
            self.links['tunl0'] = {'up': False, 'mtu': 1480, 'kind': 'fallback'}
        if module == 'ip6_tunnel' and 'ip6tnl0' not in self.links:
            self.links['ip6tnl0'] = {'up': False, 'mtu': 1452, 'kind': 'fallback'}

    def has_ipv6(self):
        return any(':' in a for _d, a in self.addrs) or any(k.startswith('net.ipv6.') for k in self.sysctl)

    def sysctl_w(self, assignments):
        for assignment in assignments:
            key, value = assignment.split('=', 1)
            if key not in self.sysctl:
                raise SimError('sysctl: cannot stat %s' % key)
            self.sysctl[key] = value

    def batch(self, lines):
        for number, line in enumerate(lines):
            try:
                self._command(line.split())
            except SimError as exc:
                raise SimError('Command failed -:%d: %s: %s' % (number + 1, line, exc))

    # -- ip commands -----------------------------------------------------------------------
    def _dev(self, name):
        if name not in self.links:
            raise SimError('Cannot find device "%s"' % name)
        return self.links[name]

    def _command(self, words):
        obj, verb, rest = words[0], words[1], words[2:]
        if obj == 'link':
            self._link(verb, rest)
        elif obj == 'addr':
            cidr, dev = rest[0], rest[rest.index('dev') + 1]
            self._dev(dev)
            if verb == 'replace':
                if ':' in cidr and not self.has_ipv6():
                    raise SimError('RTNETLINK answers: Address family not supported by protocol')
                # Creates the address or changes it in place; without preferred_lft its
                # preferred lifetime is forever again (inet6_addr_modify).
                self.addrs.add((dev, cidr))
                opts = rest[rest.index('dev') + 2:]
                if any(w == 'preferred_lft' and v == '0' for w, v in zip(opts, opts[1:])):
                    self.deprecated.add((dev, cidr))
                else:
                    self.deprecated.discard((dev, cidr))
            elif verb == 'del':
                if (dev, cidr) not in self.addrs:
                    raise SimError('RTNETLINK answers: Cannot assign requested address')
                self.addrs.discard((dev, cidr))
                self.deprecated.discard((dev, cidr))
            else:
                raise SimError('unknown addr command %s' % verb)
        elif obj == 'route':
            opts = dict(zip(rest[1::2], rest[2::2]))
            if verb == 'replace':
                self._route_replace(rest[0], opts['via'], opts['dev'], int(opts['metric']))
            elif verb == 'del':
                self._route_del(rest[0], opts['via'], opts['dev'], int(opts['metric']))
            else:
                raise SimError('unknown route command %s' % verb)
        else:
            raise SimError('unknown object %s' % obj)

    def _link(self, verb, rest):
        name = rest[0]
        if verb == 'add':
            if name in self.links:
                raise SimError('RTNETLINK answers: File exists')
            if rest[1:] != ['type', 'dummy']:
                raise SimError('unsupported link add %s' % rest)
            self.links[name] = {'up': False, 'mtu': 1500, 'kind': 'dummy'}
        elif verb == 'set':
            link = self._dev(name)
            opts = rest[1:]
            if opts[0] == 'up':
                link['up'] = True
            elif opts[0] == 'down':
                link['up'] = False
                self._flush_routes(name)
            else:
                raise SimError('unsupported link set %s' % rest)
            if 'mtu' in opts:
                link['mtu'] = int(opts[opts.index('mtu') + 1])
        elif verb == 'del':
            self._dev(name)
            del self.links[name]
            self.addrs = set((d, a) for d, a in self.addrs if d != name)
            self.deprecated &= self.addrs
            self._flush_routes(name)
        else:
            raise SimError('unknown link command %s' % verb)

    def _flush_routes(self, dev):
        self.routes = dict((k, v) for k, v in self.routes.items() if v[1] != dev)

    def _route_metric(self, family, metric):
        return 1024 if family == '-6' and metric == 0 else metric   # IP6_RT_PRIO_USER

    def _route_replace(self, dst, via, dev, metric):
        link = self._dev(dev)
        if not link['up']:
            raise SimError('RTNETLINK answers: Network is down')
        family = _family(via)
        # The kernel replaces the first route of the same destination, tos and metric,
        # whatever its gateway and device.
        self.routes[(family, _live_dst(dst), self._route_metric(family, metric))] = (via, dev)

    def _route_del(self, dst, via, dev, metric):
        family = _family(via)
        key = (family, _live_dst(dst), self._route_metric(family, metric))
        if self.routes.get(key) != (via, dev):
            raise SimError('RTNETLINK answers: No such process')
        del self.routes[key]


# --------------------------------------------------------------------------------------
# DR real server: VIP on lo, ARP sysctls.
# --------------------------------------------------------------------------------------

VIP = '10.0.0.10/32'
DR_SYSCTL = {
    'net.ipv4.conf.all.arp_ignore': '1',
    'net.ipv4.conf.all.arp_announce': '2',
    'net.ipv4.conf.eth0.arp_ignore': '1',
    'net.ipv4.conf.eth0.arp_announce': '2',
}
DR_SYSCTL_LIVE = dict((k, '0') for k in DR_SYSCTL)
DR_DESIRED = desired(addresses=[address('lo', VIP)], sysctl=DR_SYSCTL)


def dr_fresh():
    return compute(DR_DESIRED, {}, [ip_lo(), ip_eth0()], [], sysctl_out(DR_SYSCTL_LIVE), True)


def test_dr_fresh_adds_the_vip_on_lo_and_sets_the_arp_sysctls():
    result = dr_fresh()
    assert result['lines'] == ['addr replace 10.0.0.10/32 dev lo']
    assert sorted(result['set_sysctl']) == sorted('%s=%s' % kv for kv in DR_SYSCTL.items())
    assert result['restore_sysctl'] == []
    assert result['load_modules'] == []
    assert result['changed'] is True
    assert result['record'] == {
        'links': [],
        'addresses': [{'dev': 'lo', 'address': VIP, 'flags': ''}],
        'routes': [],
        'sysctl': DR_SYSCTL,
        'sysctl_original': DR_SYSCTL_LIVE,
        'modules': [],
    }


def test_dr_second_run_on_the_updated_host_changes_nothing():
    first = dr_fresh()
    second = compute(DR_DESIRED, first['record'], [ip_lo(VIP), ip_eth0()], [], sysctl_out(DR_SYSCTL), True)
    assert second['lines'] == []
    assert second['set_sysctl'] == []
    assert second['restore_sysctl'] == []
    assert second['load_modules'] == []
    assert second['changed'] is False
    assert second['record'] == first['record']


def test_dr_second_run_through_the_state_line_changes_nothing():
    """The record survives the ip batch file's state line (JSON) unchanged."""
    first = dr_fresh()
    batch = '# Ansible managed\n%s\n%s\n' % (state_line(first['record']), '\n'.join(boot_lines(first['record'])))
    previous = parse_state(batch)
    assert previous == first['record']
    second = compute(DR_DESIRED, previous, [ip_lo(VIP), ip_eth0()], [], sysctl_out(DR_SYSCTL), False)
    assert second['changed'] is False
    assert second['record'] == first['record']


def test_dr_ipv6_vip_is_added_with_its_flags_and_matched_without_them():
    vip6 = address('lo', 'fd00::10/128', 'nodad')
    want = desired(addresses=[vip6])
    assert compute(want, {}, [ip_lo(), ip_eth0()], [], [], True)['lines'] == ['addr replace fd00::10/128 dev lo nodad']
    again = compute(want, {'addresses': [vip6]}, [ip_lo('fd00::10/128'), ip_eth0()], [], [], True)
    assert again['lines'] == [] and again['changed'] is False


def test_vip_already_live_but_unrecorded_is_adopted_without_a_line():
    result = compute(DR_DESIRED, {}, [ip_lo(VIP), ip_eth0()], [], sysctl_out(DR_SYSCTL), True)
    assert result['lines'] == []
    assert result['changed'] is False
    assert result['record']['addresses'] == [address('lo', VIP)]


def test_same_address_with_another_prefix_length_is_not_the_desired_address():
    result = compute(DR_DESIRED, {}, [ip_lo('10.0.0.10/24'), ip_eth0()], [], sysctl_out(DR_SYSCTL), True)
    assert result['lines'] == ['addr replace 10.0.0.10/32 dev lo']


def test_same_address_on_another_device_is_not_the_desired_address():
    result = compute(DR_DESIRED, {}, [ip_lo(), ip_eth0(VIP)], [], sysctl_out(DR_SYSCTL), True)
    assert result['lines'] == ['addr replace 10.0.0.10/32 dev lo']


# --------------------------------------------------------------------------------------
# Dummy device.
# --------------------------------------------------------------------------------------

LVS0 = {'name': 'lvs0', 'kind': 'dummy', 'mtu': None}
DUMMY_DESIRED = desired(links=[LVS0], addresses=[address('lvs0', VIP)], modules=['dummy'])


def test_dummy_device_is_added_then_set_up_then_addressed():
    result = compute(DUMMY_DESIRED, {}, [ip_lo(), ip_eth0()], [], [], True)
    assert result['lines'] == [
        'link add lvs0 type dummy',
        'link set lvs0 up',
        'addr replace 10.0.0.10/32 dev lvs0',
    ]
    assert result['load_modules'] == ['dummy']
    assert result['record']['links'] == [LVS0]
    assert result['record']['modules'] == ['dummy']


def test_dummy_module_is_not_loaded_when_no_link_is_added():
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', [VIP], kind='dummy', ifindex=3)]
    result = compute(DUMMY_DESIRED, {'links': [LVS0], 'addresses': [address('lvs0', VIP)]}, live, [], [], True)
    assert result['lines'] == []
    assert result['load_modules'] == []
    assert result['changed'] is False


def test_dummy_device_down_is_set_up_not_added():
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', [VIP], up=False, kind='dummy', ifindex=3)]
    result = compute(DUMMY_DESIRED, {}, live, [], [], True)
    assert result['lines'] == ['link set lvs0 up']
    assert result['load_modules'] == []


def test_dummy_device_with_mtu_sets_it_when_it_differs():
    link = dict(LVS0, mtu=9000)
    want = desired(links=[link], addresses=[address('lvs0', VIP)], modules=['dummy'])
    fresh = compute(want, {}, [ip_lo(), ip_eth0()], [], [], True)
    assert fresh['lines'][:2] == ['link add lvs0 type dummy', 'link set lvs0 up mtu 9000']
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', [VIP], mtu=1500, kind='dummy', ifindex=3)]
    assert compute(want, {}, live, [], [], True)['lines'] == ['link set lvs0 up mtu 9000']
    live[2]['mtu'] = 9000
    assert compute(want, {}, live, [], [], True)['lines'] == []


def test_link_without_desired_mtu_ignores_the_live_mtu():
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', [VIP], mtu=1234, kind='dummy', ifindex=3)]
    assert compute(DUMMY_DESIRED, {}, live, [], [], True)['lines'] == []


# --------------------------------------------------------------------------------------
# tunl0: a fallback device the ipip module creates, never added with `link add`.
# --------------------------------------------------------------------------------------

TUNL0 = {'name': 'tunl0', 'kind': 'fallback', 'mtu': 1480}
TUN_DESIRED = desired(links=[TUNL0], addresses=[address('tunl0', VIP)], modules=['ipip'],
                      sysctl={'net.ipv4.conf.tunl0.rp_filter': '0', 'net.ipv4.conf.all.rp_filter': '0'})


def test_tunl0_absent_is_set_up_after_loading_ipip_never_added():
    result = compute(TUN_DESIRED, {}, [ip_lo(), ip_eth0()], [], ['net.ipv4.conf.all.rp_filter = 1'], True)
    assert result['lines'] == ['link set tunl0 up mtu 1480', 'addr replace 10.0.0.10/32 dev tunl0']
    assert not any(line.startswith('link add') for line in result['lines'])
    assert result['load_modules'] == ['ipip']
    # The tunl0 sysctl does not exist before ipip is loaded: set, but no original to record.
    assert sorted(result['set_sysctl']) == ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.tunl0.rp_filter=0']
    assert result['record']['sysctl_original'] == {'net.ipv4.conf.all.rp_filter': '1'}


@pytest.mark.parametrize('up, mtu, lines', [
    (False, 1480, ['link set tunl0 up mtu 1480']),
    (False, 1500, ['link set tunl0 up mtu 1480']),
    (True, 1500, ['link set tunl0 up mtu 1480']),
    (True, 1480, []),
])
def test_tunl0_live_is_set_up_only_when_down_or_mtu_differs(up, mtu, lines):
    live = [ip_lo(), ip_eth0(), ip_link('tunl0', [VIP], up=up, mtu=mtu, kind='fallback', ifindex=3)]
    sysctl = sysctl_out({'net.ipv4.conf.tunl0.rp_filter': '0', 'net.ipv4.conf.all.rp_filter': '0'})
    result = compute(TUN_DESIRED, {}, live, [], sysctl, True)
    assert result['lines'] == lines
    assert result['load_modules'] == []  # tunl0 is live: ipip is loaded
    assert result['changed'] is bool(lines)


def test_ip6_tunnel_is_evident_from_ip6tnl0():
    want = desired(links=[{'name': 'ip6tnl0', 'kind': 'fallback', 'mtu': 1452}],
                   addresses=[address('ip6tnl0', 'fd00::10/128', 'nodad')], modules=['ip6_tunnel'])
    assert compute(want, {}, [ip_lo(), ip_eth0()], [], [], True)['load_modules'] == ['ip6_tunnel']
    live = [ip_lo(), ip_eth0(), ip_link('ip6tnl0', ['fd00::10/128'], mtu=1452, kind='fallback', ifindex=4)]
    result = compute(want, {}, live, [], [], True)
    assert result['load_modules'] == [] and result['lines'] == []


# --------------------------------------------------------------------------------------
# Director: ip_vs is evident from its sysctls.
# --------------------------------------------------------------------------------------

DIRECTOR_SYSCTL = {'net.ipv4.vs.conn_reuse_mode': '0', 'net.ipv4.vs.expire_nodest_conn': '1',
                   'net.ipv4.vs.expire_quiescent_template': '1'}
DIRECTOR_DESIRED = desired(modules=['ip_vs', 'ip_vs_wlc'], sysctl=DIRECTOR_SYSCTL)


def test_ip_vs_is_loaded_when_its_sysctls_are_missing():
    result = compute(DIRECTOR_DESIRED, {}, [ip_lo(), ip_eth0()], [], [], True)
    assert result['load_modules'] == ['ip_vs', 'ip_vs_wlc']
    # The vs sysctls cannot be read before the module is loaded: set, no original.
    assert sorted(result['set_sysctl']) == sorted('%s=%s' % kv for kv in DIRECTOR_SYSCTL.items())
    assert result['record']['sysctl_original'] == {}


def test_ip_vs_is_not_loaded_when_conn_reuse_mode_is_in_the_sysctl_lines():
    result = compute(DIRECTOR_DESIRED, {}, [ip_lo(), ip_eth0()], [], sysctl_out(DIRECTOR_SYSCTL), True)
    assert result['load_modules'] == []
    assert result['changed'] is False


def test_module_without_live_evidence_is_always_requested():
    """Documents the current behaviour: a module outside the known evidence table is
    requested on every run (modprobe itself is idempotent)."""
    result = compute(desired(modules=['nf_conntrack']), {}, [ip_lo(), ip_eth0()], [], [], True)
    assert result['load_modules'] == ['nf_conntrack']
    assert result['changed'] is True


# --------------------------------------------------------------------------------------
# Director IPv6 VIPs: deprecated (preferred_lft 0), so never the source of its own traffic.
# --------------------------------------------------------------------------------------

VIP6 = 'fd00:10::10/128'
VIP6_DEPRECATED = address('eth1', VIP6, 'nodad preferred_lft 0')
DIRECTOR6_DESIRED = desired(addresses=[VIP6_DEPRECATED])

# `ip -j addr show dev eth1` (iproute2 6.1) after `ip addr replace fd00:10::10/128 dev eth1 nodad
# preferred_lft 0`, as captured: the flag and a preferred lifetime of 0.
ETH1_DEPRECATED_JSON = json.loads(
    '{"ifindex":3,"ifname":"eth1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,'
    '"qdisc":"pfifo_fast","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether",'
    '"address":"52:54:00:00:01:01","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":['
    '{"family":"inet6","local":"fd00:10::10","prefixlen":128,"scope":"global","nodad":true,"deprecated":true,'
    '"valid_life_time":4294967295,"preferred_life_time":0},'
    '{"family":"inet6","local":"fd00:10::1","prefixlen":64,"scope":"global",'
    '"valid_life_time":4294967295,"preferred_life_time":4294967295}]}')


def eth1(*addrs):
    return ip_link('eth1', ('fd00:10::1/64',) + tuple(addrs), ifindex=3)


@pytest.mark.parametrize('flags, wanted', [
    ('nodad preferred_lft 0', True), ('preferred_lft 0 nodad', True), ('preferred_lft 0', True),
    ('nodad', False), ('', False), (None, False), ('preferred_lft 60', False), ('preferred_lft forever', False),
    ('preferred_lft', False), ('nodad 0', False),
])
def test_wants_deprecated_reads_preferred_lft_0_from_the_flags(flags, wanted):
    assert wants_deprecated({'dev': 'eth1', 'address': VIP6, 'flags': flags}) is wanted


def test_index_deprecated_reads_the_flag_or_the_zero_lifetime():
    live = [ip_lo(), ETH1_DEPRECATED_JSON,
            ip_link('eth2', [addr_info('fd00:20::10/128', preferred_life_time=0),      # lifetime only
                             addr_info('10.0.0.10/32', deprecated=True),              # IPv4: flag only
                             addr_info('fd00:20::11/128', preferred_life_time=60)], ifindex=4)]
    assert index_deprecated(live) == {'eth1|fd00:10::10/128', 'eth2|fd00:20::10/128', 'eth2|10.0.0.10/32'}
    assert index_deprecated([]) == set() and index_deprecated(None) == set()


def test_director_ipv6_vip_is_added_deprecated():
    result = compute(DIRECTOR6_DESIRED, {}, [ip_lo(), ip_eth0(), eth1()], [], [], True)
    assert result['lines'] == ['addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']
    assert result['record']['addresses'] == [VIP6_DEPRECATED]


def test_director_ipv6_vip_live_and_deprecated_is_already_correct():
    """The address exactly as `ip -j addr` prints it after the first run: nothing to do."""
    result = compute(DIRECTOR6_DESIRED, {'addresses': [VIP6_DEPRECATED]}, [ip_lo(), ip_eth0(), ETH1_DEPRECATED_JSON],
                     [], [], True)
    assert result['lines'] == [] and result['changed'] is False
    assert result['record']['addresses'] == [VIP6_DEPRECATED]


@pytest.mark.parametrize('info', [
    addr_info(VIP6, nodad=True),                                    # preferred forever (older run, or by hand)
    addr_info(VIP6),                                                # without nodad either
    addr_info(VIP6, nodad=True, preferred_life_time=3600),          # a finite lifetime is not deprecated yet
])
def test_director_ipv6_vip_live_but_preferred_is_repaired_in_place(info):
    """Drift: the VIP is there but may be chosen as a source address. `addr replace` changes the
    existing address in place (no `addr del`, so the VIP never disappears)."""
    for previous in ({}, {'addresses': [address('eth1', VIP6, 'nodad')]}, {'addresses': [VIP6_DEPRECATED]}):
        result = compute(DIRECTOR6_DESIRED, previous, [ip_lo(), ip_eth0(), eth1(info)], [], [], True)
        assert result['lines'] == ['addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']
        assert result['changed'] is True
        assert result['record']['addresses'] == [VIP6_DEPRECATED]


def test_deprecated_vip_on_another_device_does_not_count():
    live = [ip_lo(), ip_eth0(), eth1(), ip_link('eth2', [deprecated_info(VIP6)], ifindex=4)]
    result = compute(DIRECTOR6_DESIRED, {}, live, [], [], True)
    assert result['lines'] == ['addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']


def test_without_preferred_lft_in_the_flags_the_lifetime_is_not_managed():
    """Real server VIPs, the DIP, IPv4 VIPs: a live address matches whether deprecated or not."""
    for want, info in [(address('lo', 'fd00:10::10/128', 'nodad'), deprecated_info('fd00:10::10/128')),
                       (address('lo', VIP), deprecated_info(VIP)),
                       (address('eth1', 'fd00:10::1/64', 'nodad'), deprecated_info('fd00:10::1/64'))]:
        live = [ip_lo(), ip_eth0(), ip_link(want['dev'], [info], ifindex=3) if want['dev'] != 'lo' else ip_lo(info)]
        result = compute(desired(addresses=[want]), {}, live, [], [], True)
        assert result['lines'] == [] and result['changed'] is False


def test_stale_deprecated_vip_is_deleted_like_any_other():
    previous = {'addresses': [VIP6_DEPRECATED]}
    result = compute(desired(), previous, [ip_lo(), ip_eth0(), ETH1_DEPRECATED_JSON], [], [], True)
    assert result['lines'] == ['addr del fd00:10::10/128 dev eth1']
    kept = compute(desired(), previous, [ip_lo(), ip_eth0(), ETH1_DEPRECATED_JSON], [], [], False)
    assert kept['lines'] == [] and kept['record']['addresses'] == [VIP6_DEPRECATED]


def test_boot_lines_replay_preferred_lft_0():
    record = {'addresses': [address('eth1', '10.0.0.10/32'), VIP6_DEPRECATED, address('eth2', 'fd00:20::1/64', 'nodad')]}
    assert boot_lines(record) == [
        'addr replace 10.0.0.10/32 dev eth1',
        'addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0',
        'addr replace fd00:20::1/64 dev eth2 nodad',
    ]


def _director6_host():
    return Host(links={'eth1': {'up': True, 'mtu': 1500, 'kind': 'ether'}},
                addrs=[('lo', '127.0.0.1/8'), ('lo', '::1/128'), ('eth0', '192.168.1.21/24'), ('eth1', 'fd00:10::1/64')])


def test_director_ipv6_vip_lifecycle_on_the_simulator():
    """First run, idempotence (also through the state line), drift repaired in place, reboot
    (the boot-time batch file on a host that lost its VIPs), removal."""
    host = _director6_host()
    vip4 = address('eth1', '10.0.0.10/32')
    want = desired(addresses=[vip4, VIP6_DEPRECATED])
    host.addrs.add(('eth1', '10.0.0.1/24'))
    first = host.run(want, {}, True)
    assert first['lines'] == ['addr replace 10.0.0.10/32 dev eth1',
                              'addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']
    assert ('eth1', VIP6) in host.deprecated and ('eth1', VIP) not in host.deprecated
    record = parse_state(state_line(first['record']))
    assert host.run(want, record, True)['changed'] is False

    # Drift: somebody re-adds the VIP without preferred_lft (it becomes a source candidate again).
    host.batch(['addr replace fd00:10::10/128 dev eth1 nodad'])
    assert ('eth1', VIP6) not in host.deprecated
    repaired = host.run(want, record, True)
    assert repaired['lines'] == ['addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']
    assert ('eth1', VIP6) in host.deprecated
    assert host.run(want, repaired['record'], True)['changed'] is False

    # Reboot: the VIPs are gone until the boot-time unit replays the batch file; then the role
    # finds everything as it wants it.
    host.addrs -= {('eth1', VIP), ('eth1', VIP6)}
    host.deprecated.clear()
    host.batch(boot_lines(parse_state(state_line(repaired['record']))))
    assert ('eth1', VIP6) in host.deprecated
    assert host.run(want, repaired['record'], True)['changed'] is False

    gone = host.run(desired(), repaired['record'], True)
    assert gone['lines'] == ['addr del 10.0.0.10/32 dev eth1', 'addr del fd00:10::10/128 dev eth1']
    assert ('eth1', VIP6) not in host.addrs and not host.deprecated


def test_upgrade_from_a_record_without_preferred_lft():
    """A director converged before this change: its record and live VIP say `nodad` only."""
    host = _director6_host()
    old = desired(addresses=[address('eth1', VIP6, 'nodad')])
    before = host.run(old, {}, True)
    assert ('eth1', VIP6) not in host.deprecated
    result = host.run(DIRECTOR6_DESIRED, before['record'], True)
    assert result['lines'] == ['addr replace fd00:10::10/128 dev eth1 nodad preferred_lft 0']
    assert result['record']['addresses'] == [VIP6_DEPRECATED]
    assert ('eth1', VIP6) in host.deprecated


# --------------------------------------------------------------------------------------
# ipv6: a module on some kernels; evident from any live IPv6 address or net.ipv6.* sysctl.
# --------------------------------------------------------------------------------------

IPV4_ONLY = [ip_link('lo', ('127.0.0.1/8',), mtu=65536, kind='loopback', ifindex=1), ip_eth0()]
FORWARDING6 = 'net.ipv6.conf.all.forwarding'


def test_ipv6_is_loaded_when_nothing_proves_it():
    result = compute(desired(modules=['ipv6', 'ip_vs']), {}, IPV4_ONLY, [], [], True)
    assert result['load_modules'] == ['ipv6', 'ip_vs']
    assert result['record']['modules'] == ['ipv6', 'ip_vs']     # modules-load.d, for the next boot


@pytest.mark.parametrize('ip_addr, sysctl', [
    ([ip_lo(), ip_eth0()], []),                                           # ::1 on lo
    ([IPV4_ONLY[0], ip_link('eth0', ['fd00:1::21/64'], ifindex=2)], []),  # any IPv6 address
    (IPV4_ONLY, ['%s = 0' % FORWARDING6]),                                # a net.ipv6.* sysctl (IPv6 disabled on every link)
])
def test_ipv6_is_not_loaded_when_the_live_state_proves_it(ip_addr, sysctl):
    result = compute(desired(modules=['ipv6']), {}, ip_addr, [], sysctl, True)
    assert result['load_modules'] == []
    assert result['record']['modules'] == ['ipv6']
    assert result['changed'] is False


def test_ipv6_evidence_is_only_looked_at_when_ipv6_is_wanted():
    result = compute(desired(modules=['ip_vs']), {}, IPV4_ONLY, [], sysctl_out(DIRECTOR_SYSCTL), True)
    assert result['load_modules'] == [] and result['record']['modules'] == ['ip_vs']


def test_director_ipv6_nat_on_a_kernel_with_ipv6_as_a_module():
    """Nothing IPv6 before the first run: ipv6 is loaded before the sysctls are set (or
    net.ipv6.conf.all.forwarding would not exist) and before the IPv6 VIP is added; the
    record lists it for modules-load.d; the second run has nothing to do."""
    host = Host(links={'eth1': {'up': True, 'mtu': 1500, 'kind': 'ether'}, 'eth2': {'up': True, 'mtu': 1500, 'kind': 'ether'}},
                addrs=[('lo', '127.0.0.1/8'), ('eth0', '192.168.1.21/24')])
    want = desired(addresses=[VIP6_DEPRECATED, address('eth2', 'fd00:192:168:10::1/64', 'nodad')],
                   sysctl=dict(DIRECTOR_SYSCTL, **{FORWARDING6: '1'}), modules=['ipv6', 'ip_vs', 'ip_vs_wlc'])
    first = host.run(want, {}, True)    # raises if a sysctl or an address came before its module
    assert first['load_modules'] == ['ipv6', 'ip_vs', 'ip_vs_wlc']
    assert host.sysctl[FORWARDING6] == '1'
    assert ('eth1', VIP6) in host.deprecated
    assert first['record']['modules'] == ['ipv6', 'ip_vs', 'ip_vs_wlc']
    # Documents a limit shared with every sysctl of a module this same run loads: the key could
    # not be read before, so no original is recorded and decommissioning leaves it as it is.
    assert first['record']['sysctl_original'] == {}
    second = host.run(want, parse_state(state_line(first['record'])), True)
    assert second['changed'] is False, second


# --------------------------------------------------------------------------------------
# NAT real server: routes via the DIP.
# --------------------------------------------------------------------------------------

DIP = '10.0.1.1'
NAT_LIVE_ADDR = [ip_lo(), ip_link('eth0', ['10.0.1.21/24'], ifindex=2)]
CONNECTED = kernel_route('10.0.1.0/24', '10.0.1.21', 'eth0')
NAT_DEFAULT = route('0.0.0.0/0', DIP)


def nat(routes, live_routes, previous=None, prune=True):
    return compute(desired(routes=routes), previous or {}, NAT_LIVE_ADDR, [live_routes], [], prune)


def test_nat_default_route_is_replaced_when_missing():
    result = nat([NAT_DEFAULT], [CONNECTED])
    assert result['lines'] == ['route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10']
    assert result['record']['routes'] == [NAT_DEFAULT]


def test_nat_default_route_matches_the_live_default():
    result = nat([NAT_DEFAULT], [ip_route('default', DIP, metric=10), CONNECTED])
    assert result['lines'] == [] and result['changed'] is False


@pytest.mark.parametrize('live', [
    ip_route('default', DIP, metric=100),                  # a DHCP default route: other metric
    ip_route('default', '10.0.1.254', metric=10),          # other gateway
    ip_route('default', DIP, dev='eth1', metric=10),       # other device
    ip_route('10.0.0.0/8', DIP, metric=10),                # other destination
])
def test_nat_route_differing_in_any_key_part_gets_a_replace_line(live):
    result = nat([NAT_DEFAULT], [live, CONNECTED])
    assert result['lines'] == ['route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10']


def test_metric_absent_in_the_live_route_means_zero():
    want = route('0.0.0.0/0', DIP, metric=0)
    assert nat([want], [ip_route('default', DIP), CONNECTED])['lines'] == []
    assert nat([want], [ip_route('default', DIP, metric=5), CONNECTED])['lines'] == [
        'route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 0']


def test_host_route_slash_32_matches_the_bare_live_address():
    want = route('192.0.2.5/32', DIP)
    assert nat([want], [ip_route('192.0.2.5', DIP, metric=10), CONNECTED])['lines'] == []
    assert nat([want], [CONNECTED])['lines'] == ['route replace 192.0.2.5/32 via 10.0.1.1 dev eth0 metric 10']


def test_client_network_route_matches_its_prefix():
    want = route('198.51.100.0/24', DIP)
    assert nat([want], [ip_route('198.51.100.0/24', DIP, metric=10), CONNECTED])['lines'] == []


def test_metric_given_as_string_matches_the_live_integer():
    want = route('0.0.0.0/0', DIP, metric='10')
    assert nat([want], [ip_route('default', DIP, metric=10), CONNECTED])['lines'] == []


def test_ipv6_routes_default_host_and_prefix_keys():
    gw6 = 'fd00:1::1'
    live = [ip_route('default', gw6, metric=10, pref='medium'),
            ip_route('2001:db8::5', gw6, metric=10, pref='medium'),
            ip_route('2001:db8::/32', gw6, metric=10, pref='medium')]
    want = [route('::/0', gw6), route('2001:db8::5/128', gw6), route('2001:db8::/32', gw6)]
    result = compute(desired(routes=want), {}, NAT_LIVE_ADDR, [[CONNECTED], live], [], True)
    assert result['lines'] == []


def test_ipv6_route_of_metric_zero_is_idempotent():
    gw6 = 'fd00:1::1'
    want = route('::/0', gw6, metric=0)
    host = Host(addrs=[('eth0', '10.0.1.21/24'), ('eth0', 'fd00:1::21/64')])
    first = host.run(desired(routes=[want]), {}, True)
    assert first['lines'] == ['route replace ::/0 via fd00:1::1 dev eth0 metric 0']
    assert host.ip_routes(['-6']) == [[ip_route('default', gw6, metric=1024, pref='medium')]]
    second = host.run(desired(routes=[want]), first['record'], True)
    assert second['lines'] == []


def test_non_canonical_ipv6_client_network_matches_the_live_route():
    gw6 = 'fd00:1::1'
    live = [[CONNECTED], [ip_route('2001:db8::/32', gw6, metric=10, pref='medium')]]
    result = compute(desired(routes=[route('2001:DB8::/32', gw6)]), {}, NAT_LIVE_ADDR, live, [], True)
    assert result['lines'] == []


def test_route_metric_change_replaces_then_deletes_the_recorded_route():
    old = route('0.0.0.0/0', DIP, metric=20)
    result = nat([NAT_DEFAULT], [ip_route('default', DIP, metric=20), CONNECTED], previous={'routes': [old]})
    assert result['lines'] == [
        'route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10',
        'route del 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 20',
    ]
    assert result['record']['routes'] == [NAT_DEFAULT]


def test_route_metric_change_without_prune_keeps_the_recorded_route():
    old = route('0.0.0.0/0', DIP, metric=20)
    result = nat([NAT_DEFAULT], [ip_route('default', DIP, metric=20), CONNECTED], previous={'routes': [old]},
                 prune=False)
    assert result['lines'] == ['route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10']
    assert result['record']['routes'] == [NAT_DEFAULT, old]


def test_gateway_change_at_the_same_metric_applies_cleanly():
    old = route('0.0.0.0/0', DIP)
    new = route('0.0.0.0/0', '10.0.1.2')
    host = Host(addrs=[('eth0', '10.0.1.21/24')], routes=[old])
    result = host.run(desired(routes=[new]), {'routes': [old]}, True)
    assert result['lines'][0] == 'route replace 0.0.0.0/0 via 10.0.1.2 dev eth0 metric 10'
    assert host.route_keys() == {('default', '10.0.1.2', 'eth0', 10)}


# --------------------------------------------------------------------------------------
# Prune: only what the record lists, only when live.
# --------------------------------------------------------------------------------------

VIP2 = '10.0.0.11/32'
PREVIOUS_TWO = {'addresses': [address('lo', VIP), address('lo', VIP2)], 'sysctl': DR_SYSCTL}


def test_prune_deletes_a_recorded_vip_no_longer_desired():
    result = compute(DR_DESIRED, PREVIOUS_TWO, [ip_lo(VIP, VIP2), ip_eth0()], [], sysctl_out(DR_SYSCTL), True)
    assert result['lines'] == ['addr del 10.0.0.11/32 dev lo']
    assert result['record']['addresses'] == [address('lo', VIP)]
    assert result['changed'] is True


def test_without_prune_the_stale_vip_stays_live_and_recorded():
    result = compute(DR_DESIRED, PREVIOUS_TWO, [ip_lo(VIP, VIP2), ip_eth0()], [], sysctl_out(DR_SYSCTL), False)
    assert result['lines'] == []
    assert result['changed'] is False
    assert result['record']['addresses'] == [address('lo', VIP), address('lo', VIP2)]
    # ... so that a later pruning run still removes it.
    later = compute(DR_DESIRED, result['record'], [ip_lo(VIP, VIP2), ip_eth0()], [], sysctl_out(DR_SYSCTL), True)
    assert later['lines'] == ['addr del 10.0.0.11/32 dev lo']


@pytest.mark.parametrize('prune', [True, False])
def test_recorded_but_not_live_items_are_dropped_silently(prune):
    previous = {'links': [LVS0], 'addresses': [address('lo', VIP), address('lo', VIP2), address('lvs0', '10.0.0.12/32')],
                'routes': [NAT_DEFAULT]}
    result = compute(DR_DESIRED, previous, [ip_lo(VIP), ip_eth0()], [], sysctl_out(DR_SYSCTL), prune)
    assert result['lines'] == []
    assert result['changed'] is False
    assert result['record']['links'] == []
    assert result['record']['addresses'] == [address('lo', VIP)]
    assert result['record']['routes'] == []


def test_unrecorded_live_configuration_is_never_touched():
    live = [ip_lo(VIP, '10.9.9.9/32'), ip_eth0('192.168.1.99/24'), ip_link('dummy7', ['10.8.8.8/32'], kind='dummy')]
    live_routes = [[ip_route('default', '192.168.1.1', metric=100), kernel_route('192.168.1.0/24', '192.168.1.21', 'eth0')]]
    result = compute(desired(), {}, live, live_routes, sysctl_out({'net.ipv4.ip_forward': '1'}), True)
    assert result['lines'] == [] and result['restore_sysctl'] == [] and result['changed'] is False
    assert result['record'] == {'links': [], 'addresses': [], 'routes': [], 'sysctl': {},
                                'sysctl_original': {}, 'modules': []}


def test_address_moved_to_another_device_is_added_before_the_old_one_is_deleted():
    previous = {'links': [LVS0], 'addresses': [address('lvs0', VIP)]}
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', [VIP], kind='dummy', ifindex=3)]
    result = compute(desired(addresses=[address('lo', VIP)]), previous, live, [], [], True)
    assert result['lines'] == ['addr replace 10.0.0.10/32 dev lo', 'addr del 10.0.0.10/32 dev lvs0', 'link del lvs0']


# --------------------------------------------------------------------------------------
# Order: adds (links, addresses, routes) before removals (routes, addresses, links).
# --------------------------------------------------------------------------------------

def test_removal_order_is_the_reverse_of_the_add_order():
    previous = {
        'links': [LVS0, TUNL0],
        'addresses': [address('lvs0', VIP), address('tunl0', VIP2)],
        'routes': [route('198.51.100.0/24', DIP)],
    }
    live = [ip_lo(), ip_link('eth0', ['10.0.1.21/24'], ifindex=2),
            ip_link('lvs0', [VIP], kind='dummy', ifindex=3),
            ip_link('tunl0', [VIP2], mtu=1480, kind='fallback', ifindex=4)]
    live_routes = [[CONNECTED, ip_route('198.51.100.0/24', DIP, metric=10)]]
    lvs1 = {'name': 'lvs1', 'kind': 'dummy', 'mtu': None}
    want = desired(links=[lvs1], addresses=[address('lvs1', '10.0.0.20/32')],
                   routes=[route('203.0.113.0/24', DIP)], modules=['dummy'])
    result = compute(want, previous, live, live_routes, [], True)
    assert result['lines'] == [
        'link add lvs1 type dummy',
        'link set lvs1 up',
        'addr replace 10.0.0.20/32 dev lvs1',
        'route replace 203.0.113.0/24 via 10.0.1.1 dev eth0 metric 10',
        'route del 198.51.100.0/24 via 10.0.1.1 dev eth0 metric 10',
        'addr del 10.0.0.10/32 dev lvs0',
        'addr del 10.0.0.11/32 dev tunl0',
        'link del lvs0',
        'link set tunl0 down',
    ]
    kinds = [is_add(line) for line in result['lines']]
    assert kinds == sorted(kinds, reverse=True)  # every add before every removal
    assert all(is_add(line) or is_removal(line) for line in result['lines'])
    assert result['load_modules'] == ['dummy']
    assert result['record']['links'] == [lvs1]
    assert result['record']['routes'] == [route('203.0.113.0/24', DIP)]


def test_dummy_link_removed_is_deleted_fallback_link_removed_is_set_down():
    previous = {'links': [LVS0, TUNL0]}
    live = [ip_lo(), ip_eth0(), ip_link('lvs0', kind='dummy', ifindex=3),
            ip_link('tunl0', mtu=1480, kind='fallback', ifindex=4)]
    result = compute(desired(), previous, live, [], [], True)
    assert result['lines'] == ['link del lvs0', 'link set tunl0 down']
    assert result['record']['links'] == []
    kept = compute(desired(), previous, live, [], [], False)
    assert kept['lines'] == [] and kept['record']['links'] == [LVS0, TUNL0]


# --------------------------------------------------------------------------------------
# Sysctl originals.
# --------------------------------------------------------------------------------------

ARP_IGNORE = 'net.ipv4.conf.all.arp_ignore'


def sysctl_run(want, previous, live, prune=True):
    return compute(desired(sysctl=want), previous, [ip_lo(), ip_eth0()], [], sysctl_out(live), prune)


def test_first_change_records_the_live_original():
    result = sysctl_run({ARP_IGNORE: '1'}, {}, {ARP_IGNORE: '0'})
    assert result['set_sysctl'] == [ARP_IGNORE + '=1']
    assert result['record']['sysctl'] == {ARP_IGNORE: '1'}
    assert result['record']['sysctl_original'] == {ARP_IGNORE: '0'}


def test_sysctl_already_at_the_desired_value_records_no_original():
    result = sysctl_run({ARP_IGNORE: '1'}, {}, {ARP_IGNORE: '1'})
    assert result['set_sysctl'] == [] and result['changed'] is False
    assert result['record']['sysctl'] == {ARP_IGNORE: '1'}
    assert result['record']['sysctl_original'] == {}
    removed = sysctl_run({}, result['record'], {ARP_IGNORE: '1'})
    assert removed['restore_sysctl'] == [] and removed['record']['sysctl'] == {}


def test_sysctl_values_are_compared_as_strings():
    result = sysctl_run({ARP_IGNORE: 1}, {}, {ARP_IGNORE: '1'})
    assert result['set_sysctl'] == [] and result['record']['sysctl'] == {ARP_IGNORE: '1'}


def test_original_survives_later_changes_of_the_desired_value():
    first = sysctl_run({ARP_IGNORE: '1'}, {}, {ARP_IGNORE: '0'})
    second = sysctl_run({ARP_IGNORE: '2'}, first['record'], {ARP_IGNORE: '1'})
    assert second['set_sysctl'] == [ARP_IGNORE + '=2']
    assert second['record']['sysctl_original'] == {ARP_IGNORE: '0'}


def test_removed_sysctl_with_prune_is_restored_to_its_original():
    first = sysctl_run({ARP_IGNORE: '1'}, {}, {ARP_IGNORE: '0'})
    removed = sysctl_run({}, first['record'], {ARP_IGNORE: '1'}, prune=True)
    assert removed['restore_sysctl'] == [ARP_IGNORE + '=0']
    assert removed['set_sysctl'] == []
    assert removed['record']['sysctl'] == {}
    assert removed['record']['sysctl_original'] == {}
    assert removed['changed'] is True


def test_removed_sysctl_without_prune_stays_recorded_with_its_original():
    first = sysctl_run({ARP_IGNORE: '1'}, {}, {ARP_IGNORE: '0'})
    kept = sysctl_run({}, first['record'], {ARP_IGNORE: '1'}, prune=False)
    assert kept['restore_sysctl'] == [] and kept['set_sysctl'] == [] and kept['changed'] is False
    assert kept['record']['sysctl'] == {ARP_IGNORE: '1'}
    assert kept['record']['sysctl_original'] == {ARP_IGNORE: '0'}
    later = sysctl_run({}, kept['record'], {ARP_IGNORE: '1'}, prune=True)
    assert later['restore_sysctl'] == [ARP_IGNORE + '=0']


def test_removed_sysctl_already_at_its_original_needs_no_restore():
    previous = {'sysctl': {ARP_IGNORE: '1'}, 'sysctl_original': {ARP_IGNORE: '0'}}
    result = sysctl_run({}, previous, {ARP_IGNORE: '0'}, prune=True)
    assert result['restore_sysctl'] == [] and result['changed'] is False
    assert result['record']['sysctl_original'] == {}


def test_removed_sysctl_missing_live_is_not_restored():
    previous = {'sysctl': {ARP_IGNORE: '1'}, 'sysctl_original': {ARP_IGNORE: '0'}}
    result = sysctl_run({}, previous, {}, prune=True)
    assert result['restore_sysctl'] == []
    assert result['record']['sysctl_original'] == {}


def test_sysctl_lines_index_only_key_equals_value_lines():
    lines = ['net.ipv4.ip_forward = 1', 'sysctl: cannot stat /proc/sys/net/ipv4/vs/x: No such file', '',
             'net.ipv4.ip_local_port_range = 32768\t60999']
    _links, _addrs, _routes, values = index_live([], [], lines)
    # Multi-value keys print tab-separated; kept space-separated, as sysctl -w and sysctl.d write them.
    assert values == {'net.ipv4.ip_forward': '1', 'net.ipv4.ip_local_port_range': '32768 60999'}


def test_multi_value_sysctl_converges():
    # net.ipv4.vs.sync_threshold reads back as "3<TAB>50": wanting "3 50" is no change.
    result = compute({'sysctl': {'net.ipv4.vs.sync_threshold': '3  50'}}, {}, [], [], ['net.ipv4.vs.sync_threshold = 3\t50'],
                     prune=True)
    assert result['set_sysctl'] == []
    assert result['record']['sysctl'] == {'net.ipv4.vs.sync_threshold': '3 50'}


def test_index_live_keys():
    links, addrs, routes, _sysctl = index_live(
        [ip_lo(VIP), ip_link('lvs0', up=False, mtu=1400, kind='dummy')],
        [[ip_route('default', DIP, metric=10), CONNECTED], None], [])
    assert links == {'lo': {'up': True, 'mtu': 65536}, 'lvs0': {'up': False, 'mtu': 1400}}
    assert addrs == {'lo|127.0.0.1/8', 'lo|10.0.0.10/32', 'lo|::1/128'}
    assert routes == {'default|10.0.1.1|eth0|10', '10.0.1.0/24||eth0|0'}


# --------------------------------------------------------------------------------------
# State line, route families, boot lines.
# --------------------------------------------------------------------------------------

RECORD = {
    'links': [LVS0, TUNL0],
    'addresses': [address('lvs0', VIP), address('lo', 'fd00::10/128', 'nodad')],
    'routes': [NAT_DEFAULT, route('2001:db8::/32', 'fd00:1::1', metric=20)],
    'sysctl': {ARP_IGNORE: '1'},
    'sysctl_original': {ARP_IGNORE: '0'},
    'modules': ['dummy', 'ipip'],
}


def test_state_line_round_trip():
    line = state_line(RECORD)
    assert line.startswith(STATE_MARKER)
    assert '\n' not in line
    assert parse_state(line) == RECORD
    assert parse_state('# Ansible managed\n# comment\n%s\nlink set lvs0 up\n' % line) == RECORD


def test_state_line_is_stable():
    shuffled = json.loads(json.dumps(RECORD))
    shuffled = dict(reversed(list(shuffled.items())))
    assert state_line(shuffled) == state_line(RECORD)
    assert state_line({'b': 1, 'a': 2}) == STATE_MARKER + '{"a": 2, "b": 1}'


@pytest.mark.parametrize('text', [
    None, '', 'link set lvs0 up\n', '# lvs-cluster-state {"a": 1}\n',
    STATE_MARKER + '{not json\n', STATE_MARKER + '["a", "list"]\n', STATE_MARKER + '"text"\n',
    STATE_MARKER + '\n',
])
def test_parse_state_without_a_usable_record_is_empty(text):
    assert parse_state(text) == {}


def test_parse_state_uses_the_first_marker_line():
    text = '%s\n%s\n' % (state_line({'a': 1}), state_line({'b': 2}))
    assert parse_state(text) == {'a': 1}


@pytest.mark.parametrize('routes, previous, families', [
    ([], None, []),
    ([], {}, []),
    ([route('0.0.0.0/0', DIP)], None, ['-4']),
    ([route('::/0', 'fd00:1::1')], None, ['-6']),
    ([route('::/0', 'fd00:1::1'), route('0.0.0.0/0', DIP)], None, ['-6', '-4']),
    ([route('0.0.0.0/0', DIP)], {'routes': [route('::/0', 'fd00:1::1')]}, ['-4', '-6']),
    (None, {'routes': [route('::/0', 'fd00:1::1')]}, ['-6']),
    ([route('0.0.0.0/0', DIP), route('198.51.100.0/24', DIP)], {'routes': [route('0.0.0.0/0', DIP)]}, ['-4']),
])
def test_route_families(routes, previous, families):
    assert route_families(routes, previous) == families


def test_boot_lines_recreate_the_record():
    assert boot_lines(RECORD) == [
        'link set lvs0 up',
        'link set tunl0 up mtu 1480',
        'addr replace 10.0.0.10/32 dev lvs0',
        'addr replace fd00::10/128 dev lo nodad',
        'route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10',
        'route replace 2001:db8::/32 via fd00:1::1 dev eth0 metric 20',
    ]


def test_boot_lines_of_an_empty_record():
    assert boot_lines({}) == []
    assert boot_lines({'links': None, 'addresses': [], 'routes': None}) == []


def test_simulator_follows_the_kernel_semantics():
    host = Host(addrs=[('eth0', '10.0.1.21/24')])
    host.batch(['link add lvs0 type dummy', 'link set lvs0 up mtu 9000', 'addr replace 10.0.0.10/32 dev lvs0',
                'route replace 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10',
                'route replace 0.0.0.0/0 via 10.0.1.2 dev eth0 metric 10',
                'route replace 192.0.2.5/32 via 10.0.1.1 dev eth0 metric 0'])
    assert host.links['lvs0'] == {'up': True, 'mtu': 9000, 'kind': 'dummy'}
    assert host.route_keys() == {('default', '10.0.1.2', 'eth0', 10), ('192.0.2.5', '10.0.1.1', 'eth0', 0)}
    assert host.ip_routes(['-4'])[0][0] == ip_route('192.0.2.5', '10.0.1.1')          # metric 0 prints none
    for bad in ['link add lvs0 type dummy', 'link set lvs9 up', 'addr del 10.0.0.99/32 dev lvs0',
                'addr replace 10.0.0.99/32 dev lvs9', 'route del 0.0.0.0/0 via 10.0.1.1 dev eth0 metric 10']:
        with pytest.raises(SimError):
            host.batch([bad])
    host.batch(['link del lvs0'])
    assert ('lvs0', '10.0.0.10/32') not in host.addrs
    with pytest.raises(SimError):
        host.sysctl_w(['net.ipv4.vs.conn_reuse_mode=0'])


def test_tun_real_server_end_to_end_on_the_simulator():
    host = Host(sysctl={'net.ipv4.conf.all.rp_filter': '1', 'net.ipv4.conf.all.arp_ignore': '0'})
    want = desired(links=[TUNL0], addresses=[address('tunl0', VIP)], modules=['ipip'],
                   sysctl={'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.conf.all.arp_ignore': '1'})
    first = host.run(want, {}, True)
    assert first['load_modules'] == ['ipip']
    assert host.links['tunl0'] == {'up': True, 'mtu': 1480, 'kind': 'fallback'}
    assert ('tunl0', VIP) in host.addrs
    second = host.run(want, first['record'], True)
    assert second['changed'] is False
    gone = host.run(desired(), second['record'], True)
    assert gone['lines'] == ['addr del 10.0.0.10/32 dev tunl0', 'link set tunl0 down']
    assert host.sysctl == {'net.ipv4.conf.all.rp_filter': '1', 'net.ipv4.conf.all.arp_ignore': '0'}


# --------------------------------------------------------------------------------------
# Properties.
# --------------------------------------------------------------------------------------

ADDRESS_POOL = [('lo', '10.0.0.10/32'), ('lo', '10.0.0.11/32'), ('lo', 'fd00::10/128'),
                ('lvs0', '10.0.0.10/32'), ('lvs0', '10.0.0.12/32'), ('lvs0', 'fd00::12/128')]
# Every pool route has its own (destination, metric): a kernel `route replace` of one never
# replaces another (see test_gateway_change_at_the_same_metric_applies_cleanly for that case).
ROUTE_POOL = [route('0.0.0.0/0', '192.168.1.254', metric=10), route('0.0.0.0/0', '192.168.1.253', metric=20),
              route('198.51.100.0/24', '192.168.1.254'), route('192.0.2.5/32', '192.168.1.254', metric=0),
              route('2001:db8::/32', 'fd00:1::1'), route('::/0', 'fd00:1::1', metric=30)]
SYSCTL_KEYS = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce', 'net.ipv4.conf.eth0.arp_ignore']
BASE_ADDRS = {('lo', '127.0.0.1/8'), ('lo', '::1/128'), ('eth0', '192.168.1.21/24'), ('eth0', 'fd00:1::21/64')}
DHCP_ROUTE = route('0.0.0.0/0', '192.168.1.1', metric=100)

PROPERTY = settings(max_examples=200, deadline=None)


def _addr_items(pairs, deprecated=()):
    """Desired/recorded addresses: IPv6 with nodad; those in ``deprecated`` with preferred_lft 0."""
    def flags(pair):
        return ' '.join((['nodad'] if ':' in pair[1] else []) + (['preferred_lft 0'] if pair in deprecated else []))
    return [address(dev, cidr, flags((dev, cidr))) for dev, cidr in pairs]


# Few, wide draws (a bit mask per subset) keep the generation cheap.
VALUES = ['0', '1', '2']


def _subset(draw, pool):
    mask = draw(st.integers(0, (1 << len(pool)) - 1))
    return [item for i, item in enumerate(pool) if mask >> i & 1]


def _sysctl_values(draw, optional=True):
    """A value (or, when optional, no entry) per pool key."""
    choices = ([None] if optional else []) + VALUES
    code = draw(st.integers(0, len(choices) ** len(SYSCTL_KEYS) - 1))
    values = {}
    for key in SYSCTL_KEYS:
        code, pick = divmod(code, len(choices))
        if choices[pick] is not None:
            values[key] = choices[pick]
    return values


@st.composite
def desired_states(draw):
    addrs = _subset(draw, ADDRESS_POOL)
    with_link = any(dev == 'lvs0' for dev, _a in addrs) or draw(st.booleans())
    return desired(links=[LVS0] if with_link else [], addresses=_addr_items(addrs, _subset(draw, ADDRESS_POOL)),
                   routes=_subset(draw, ROUTE_POOL), sysctl=_sysctl_values(draw), modules=['dummy'] if with_link else [])


@st.composite
def hosts(draw, lvs0_states=(None, True, False)):
    """A live host: lvs0 absent, up or down; any pool address on a live device; pool routes."""
    lvs0 = draw(st.sampled_from(lvs0_states))
    links = {} if lvs0 is None else {'lvs0': {'up': lvs0, 'mtu': 1500, 'kind': 'dummy'}}
    pool = [p for p in ADDRESS_POOL if p[0] != 'lvs0' or lvs0 is not None]
    addrs = set(_subset(draw, pool)) | BASE_ADDRS
    routes = _subset(draw, ROUTE_POOL) + [DHCP_ROUTE]
    return Host(links=links, addrs=addrs, routes=routes, sysctl=_sysctl_values(draw, optional=False),
                deprecated=_subset(draw, ADDRESS_POOL))    # live addresses already deprecated (by anyone)


@st.composite
def previous_records(draw):
    """Any record a previous run could have left (items need not be live any more)."""
    addrs = _subset(draw, ADDRESS_POOL)
    with_link = any(dev == 'lvs0' for dev, _a in addrs) or draw(st.booleans())
    sysctl = _sysctl_values(draw)
    original = dict((k, v) for k, v in _sysctl_values(draw).items() if k in sysctl)
    return {'links': [LVS0] if with_link else [], 'addresses': _addr_items(addrs, _subset(draw, ADDRESS_POOL)),
            'routes': _subset(draw, ROUTE_POOL), 'sysctl': sysctl, 'sysctl_original': original,
            'modules': ['dummy'] if with_link else []}


def _pairs(items):
    return set((a['dev'], a['address']) for a in items)


def _rkeys(routes):
    return set((_live_dst(r['dst']), r['via'], r['dev'], int(r['metric'])) for r in routes)


@PROPERTY
@given(want=desired_states(), previous=previous_records(), host=hosts(), prune=st.booleans())
def test_applying_the_delta_converges_and_a_second_run_is_a_no_op(want, previous, host, prune):
    before_addrs, before_routes, before_links = set(host.addrs), host.route_keys(), set(host.links)
    before_sysctl, before_deprecated = dict(host.sysctl), set(host.deprecated)
    result = host.run(want, previous, prune)   # raises SimError if any command would fail

    want_addrs, rec_addrs = _pairs(want['addresses']), _pairs(previous['addresses'])
    want_routes, rec_routes = _rkeys(want['routes']), _rkeys(previous['routes'])
    link_removed = prune and 'lvs0' in before_links and previous['links'] and not want['links']

    # Desired state is live.
    assert want_addrs <= host.addrs
    assert want_routes <= host.route_keys()
    assert all(host.links[link['name']]['up'] for link in want['links'])
    assert all(host.sysctl[k] == v for k, v in want['sysctl'].items())
    # Deprecation: as desired where the flags ask for preferred_lft 0; everywhere else untouched
    # (an address added without it is preferred).
    want_deprecated = set((a['dev'], a['address']) for a in want['addresses'] if wants_deprecated(a))
    assert want_deprecated <= host.deprecated
    for pair in host.addrs - want_deprecated:
        assert (pair in host.deprecated) == (pair in before_deprecated)
    # Recorded but undesired: gone with prune, untouched without.
    for pair in rec_addrs - want_addrs:
        assert (pair in host.addrs) == (False if prune else pair in before_addrs)
    for key in rec_routes - want_routes:
        assert (key in host.route_keys()) == (False if prune else key in before_routes)
    if previous['links'] and not want['links']:
        assert ('lvs0' in host.links) == (False if prune else 'lvs0' in before_links)
    # Never recorded and undesired: untouched (unless on the recorded dummy device pruned away).
    for pair in (before_addrs | set(ADDRESS_POOL)) - rec_addrs - want_addrs:
        if link_removed and pair[0] == 'lvs0':
            continue
        assert (pair in host.addrs) == (pair in before_addrs)
    for key in (before_routes | _rkeys(ROUTE_POOL)) - rec_routes - want_routes:
        assert (key in host.route_keys()) == (key in before_routes)
    assert set(host.links) - {'lvs0'} == before_links - {'lvs0'}
    # Recorded but undesired sysctls: back at their original with prune, untouched without.
    for key in set(previous['sysctl']) - set(want['sysctl']):
        expected = previous['sysctl_original'].get(key, before_sysctl[key]) if prune else before_sysctl[key]
        assert host.sysctl[key] == expected
    for key in set(SYSCTL_KEYS) - set(previous['sysctl']) - set(want['sysctl']):
        assert host.sysctl[key] == before_sysctl[key]
    # The record: desired plus, without prune, what is recorded, undesired and still live.
    assert _pairs(result['record']['addresses']) == want_addrs | (
        set() if prune else (rec_addrs - want_addrs) & before_addrs)
    # Order: every add before every removal.
    kinds = [is_add(line) for line in result['lines']]
    assert kinds == sorted(kinds, reverse=True)

    # A second run on the updated host, with the new record, has nothing to do.
    snapshot = (set(host.addrs), host.route_keys(), copy.deepcopy(host.links), dict(host.sysctl), set(host.deprecated))
    again = host.run(want, parse_state(state_line(result['record'])), prune)
    assert again['lines'] == []
    assert again['set_sysctl'] == [] and again['restore_sysctl'] == [] and again['load_modules'] == []
    assert again['changed'] is False
    assert again['record'] == result['record']
    assert (set(host.addrs), host.route_keys(), host.links, host.sysctl, host.deprecated) == snapshot


@PROPERTY
@given(host=hosts(lvs0_states=(None,)),
       steps=st.lists(st.tuples(desired_states(), st.booleans()), min_size=1, max_size=4))
def test_a_history_of_runs_then_decommissioning_restores_the_host(host, steps):
    """Runs of changing desired states (pruning or not), then a pruning run with nothing
    desired: every sysctl is back at its value before the first run, and exactly what was
    ever desired is gone (an address already live and then desired was adopted)."""
    initial = (set(host.addrs), host.route_keys(), set(host.links), dict(host.sysctl))
    initial_deprecated = set(host.deprecated)
    record, ever_addrs, ever_routes = {}, set(), set()
    for want, prune in steps:
        result = host.run(want, record, prune)
        assert all(host.sysctl[k] == v for k, v in want['sysctl'].items())
        assert all(pair in host.deprecated for pair in _pairs(a for a in want['addresses'] if wants_deprecated(a)))
        record = parse_state(state_line(result['record']))
        again = host.run(want, record, prune)
        assert again['changed'] is False, again
        ever_addrs |= _pairs(want['addresses'])
        ever_routes |= _rkeys(want['routes'])
    final = host.run(desired(), record, True)
    assert final['record'] == {'links': [], 'addresses': [], 'routes': [], 'sysctl': {}, 'sysctl_original': {},
                               'modules': []}
    assert host.sysctl == initial[3]
    assert host.addrs == initial[0] - ever_addrs
    assert host.deprecated == initial_deprecated - ever_addrs
    assert host.route_keys() == initial[1] - ever_routes
    assert set(host.links) == initial[2]
