# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each lvs.cluster role wants on its host: links, addresses, routes, sysctls, modules.

Pure: the role's part of the host view (``_lvs_hostview``), the role's settings and the
live ``ip -j addr`` output in; the desired state for ``_net_delta.compute`` out, plus how the
boot-time unit is ordered.  ``plugins/modules/host_net.py`` runs it on the host, because the
ARP sysctls of a real server name its data interface, which only the live addresses tell.

Why each owner wants what it wants
----------------------------------
- director: ``ip_vs`` and the schedulers (and ``ipv6`` for IPv6 services, a module on some
  kernels, without which systemd-sysctl skips the ``net.ipv6.*`` keys); the VIPs on the VIP
  interface, IPv6 ones deprecated (``preferred_lft 0``) so they never become the source of
  the director's own traffic such as the outer header of IPVS TUN packets; the DIP of NAT
  services; ``ip_forward`` only for NAT (DR and TUN need none); the IPVS sysctls.
- dr_realserver: the VIPs on a non-ARPing device (``lo`` or a dummy), ``arp_ignore`` and
  ``arp_announce`` on ``all`` and the data interface, IPv4 only (IPv6 has no ARP).
- tun_realserver: the VIPs on ``tunl0``/``ip6tnl0`` (created by loading ``ipip``/
  ``ip6_tunnel``), relaxed ``rp_filter`` (decapsulated packets arrive on tunl0 from a source
  routed elsewhere) and the ARP sysctls.
- nat_realserver: return routes via the director's DIP, so replies pass back through it.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._inet import is_ipv6
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import interface_of

OWNERS = ('director', 'dr_realserver', 'tun_realserver', 'nat_realserver')

# Files and unit of one owner on the host (the same paths the 0.1 roles wrote).
RECORD_DIR = '/etc/lvs-cluster'
IP_BIN = '/usr/sbin/ip'  # Debian (usrmerge), Ubuntu and EL all have it here.


def paths(owner):
    """The files and the boot unit one owner writes."""
    slug = owner.replace('_', '-')
    return {
        'ip_file': '%s/%s.ip' % (RECORD_DIR, owner),
        'unit': 'lvs-cluster-%s.service' % slug,
        'unit_file': '/etc/systemd/system/lvs-cluster-%s.service' % slug,
        'sysctl_file': '/etc/sysctl.d/60-lvs-cluster-%s.conf' % slug,
        'modules_file': '/etc/modules-load.d/lvs-cluster-%s.conf' % slug,
    }


def empty_view(owner):
    """The owner's view on a host that serves nothing (or is being decommissioned)."""
    if owner == 'director':
        return {'vips': [], 'services': [], 'ipvs_services': [], 'labels': {}}
    if owner == 'nat_realserver':
        return {'gateway': None, 'services': [], 'labels': {}}
    return {'vips': [], 'services': [], 'labels': {}}


def director_modules(view):
    """Kernel modules the director loads now and at boot (and the pre-flight dry-runs)."""
    return (['ipv6'] if view.get('ipv6') else []) + ['ip_vs'] + list(view.get('scheduler_modules') or [])


def ipvs_scope(view):
    """What the director may remove from the IPVS table on decommissioning: its own services."""
    scope = []
    for svc in view.get('ipvs_services') or []:
        key = svc.get('address') if svc.get('fwmark') is None else svc.get('fwmark')
        if key not in scope:
            scope.append(key)
    return scope


def _arp_sysctls(data_if, arp_ignore, arp_announce):
    out = {}
    for dev in ['all'] + ([data_if] if data_if else []):
        key = 'net.ipv4.conf.' + dev.replace('.', '/')
        out[key + '.arp_ignore'] = str(arp_ignore)
        out[key + '.arp_announce'] = str(arp_announce)
    return out


def data_interface(settings, address, ip_addr):
    """The data-plane interface: the role's ``interface`` setting, else the one holding lvs_address."""
    return settings.get('interface') or interface_of(ip_addr, address) or ''


def desired(owner, view, settings, address, ip_addr, present=True):
    """The desired ``{links, addresses, routes, sysctl, modules}`` of one owner.

    ``view`` is the owner's part of the host view (``empty_view`` when it serves nothing),
    ``settings`` the role's variables without their prefix (``vip_device``, ``arp_ignore`` ...).
    """
    want = {'links': [], 'addresses': [], 'routes': [], 'sysctl': {}, 'modules': []}
    if not present:
        return want
    if owner == 'director':
        want['modules'] = director_modules(view)
        if settings.get('manage_vips', True):
            for vip in view.get('vips') or []:
                want['addresses'].append({'dev': view['vip_interface'], 'address': vip,
                                          'flags': 'nodad preferred_lft 0' if is_ipv6(vip) else ''})
        dip = view.get('internal_address')
        if dip:
            want['addresses'].append({'dev': view['internal_interface'], 'address': dip,
                                      'flags': 'nodad' if is_ipv6(dip) else ''})
        want['sysctl'] = {
            'net.ipv4.vs.conn_reuse_mode': str(settings.get('conn_reuse_mode', 1)),
            'net.ipv4.vs.expire_nodest_conn': str(settings.get('expire_nodest_conn', 1)),
            'net.ipv4.vs.expire_quiescent_template': str(settings.get('expire_quiescent_template', 1)),
        }
        for key, value in (settings.get('extra_sysctls') or {}).items():
            want['sysctl'][str(key)] = str(value)
        # Checks through the forwarding path: the real server's reply comes from the VIP, which the
        # master holds itself; accept_local lets that packet in (see _keepalived_conf).
        checker = (view.get('keepalived') or {}).get('checker_sysctls') or {}
        if checker.get('accept_local') and view.get('vip_interface'):
            want['sysctl']['net.ipv4.conf.%s.accept_local' % view['vip_interface'].replace('.', '/')] = \
                str(checker['accept_local'])
        if view.get('ip_forward'):
            want['sysctl']['net.ipv4.ip_forward'] = '1'
        if view.get('ipv6_forward'):
            want['sysctl']['net.ipv6.conf.all.forwarding'] = '1'
    elif owner == 'dr_realserver':
        device = settings.get('vip_device') or 'lo'
        vips = view.get('vips') or []
        if vips and device != 'lo':
            want['links'].append({'name': device, 'kind': 'dummy', 'mtu': None})
            want['modules'].append('dummy')
        want['addresses'] = [{'dev': device, 'address': v, 'flags': 'nodad' if is_ipv6(v) else ''} for v in vips]
        if any(not is_ipv6(v) for v in vips):
            want['sysctl'] = _arp_sysctls(data_interface(settings, address, ip_addr),
                                          settings.get('arp_ignore', 1), settings.get('arp_announce', 2))
    elif owner == 'tun_realserver':
        v4 = [v for v in view.get('vips') or [] if not is_ipv6(v)]
        v6 = [v for v in view.get('vips') or [] if is_ipv6(v)]
        if v4:
            want['links'].append({'name': 'tunl0', 'kind': 'fallback', 'mtu': int(settings.get('tunl0_mtu', 1480))})
            want['modules'].append('ipip')
        if v6:
            want['links'].append({'name': 'ip6tnl0', 'kind': 'fallback', 'mtu': int(settings.get('ip6tnl0_mtu', 1460))})
            want['modules'].append('ip6_tunnel')
        want['addresses'] = ([{'dev': 'tunl0', 'address': v, 'flags': ''} for v in v4]
                             + [{'dev': 'ip6tnl0', 'address': v, 'flags': 'nodad'} for v in v6])
        if v4:
            rp_filter = str(settings.get('rp_filter', 0))
            want['sysctl'] = {'net.ipv4.conf.tunl0.rp_filter': rp_filter, 'net.ipv4.conf.all.rp_filter': rp_filter}
            want['sysctl'].update(_arp_sysctls(data_interface(settings, address, ip_addr),
                                               settings.get('arp_ignore', 1), settings.get('arp_announce', 2)))
    elif owner == 'nat_realserver':
        want['routes'] = nat_routes(view, settings, address, ip_addr)
    else:
        raise ValueError('unknown owner %r' % (owner,))
    return want


def nat_routes(view, settings, address, ip_addr):
    """The NAT real server's return routes: each client network (default: everything) via the DIP."""
    gateway = view.get('gateway')
    if not gateway or not view.get('services'):
        return []
    dev = data_interface(settings, address, ip_addr)
    networks = settings.get('client_networks') or ['::/0' if is_ipv6(gateway) else '0.0.0.0/0']
    metric = int(settings.get('route_metric', 10))
    return [{'dst': dst, 'via': gateway, 'dev': dev, 'metric': metric} for dst in networks]


# How each owner's boot unit is ordered (see _host_files.unit_text):
#   early: lo, dummy and fallback tunnel devices do not depend on the network manager, and
#          a DR/TUN VIP must be in place (with its ARP sysctls) before traffic can arrive;
#   network: addresses and routes on real NICs, after the network manager configured them.
UNIT = {
    'director': {'boot': 'network', 'description': 'lvs.cluster director: VIPs and DIP',
                 'after': ['lvs-cluster-ipvs.service'], 'before': ['keepalived.service']},
    'dr_realserver': {'boot': 'early', 'description': 'lvs.cluster dr_realserver: DR VIPs on %(vip_device)s',
                      'after': [], 'before': []},
    'tun_realserver': {'boot': 'early', 'description': 'lvs.cluster tun_realserver: TUN VIPs on tunl0/ip6tnl0',
                       'after': [], 'before': []},
    'nat_realserver': {'boot': 'network', 'description': 'lvs.cluster nat_realserver: return route(s) via the director DIP',
                       'after': [], 'before': []},
}


def unit_settings(owner, settings):
    unit = dict(UNIT[owner])
    unit['description'] = unit['description'] % {'vip_device': settings.get('vip_device') or 'lo'}
    return unit
