# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live pre-flight of the lvs.cluster roles: what must hold on the host before any change.

Pure: ``probes`` says what to ask the host (modules to dry-run, addresses to ``ip route get``,
whether to look at the management path); ``findings`` turns the answers into messages in the
validator's shape, ``host H, service S (VIP:PORT/PROTO MODE): what is wrong and what to do
[rule-id]``. ``plugins/modules/host_net.py`` asks, and fails with every finding before it
changes anything.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import (
    data_interface,
    director_modules,
)
from ansible_collections.lvs.cluster.plugins.module_utils._inet import is_ipv6
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import interface_of, ipv6_live
from ansible_collections.lvs.cluster.plugins.module_utils._route_precedence import conflicts


def probes(owner, view, settings, ip_addr):
    """``{'modules': [...], 'route_get': [...], 'management': bool}`` to ask the host."""
    live = [link.get('ifname') for link in ip_addr]
    modules, route_get = [], []
    if owner == 'director':
        # Where IPv6 is already live it is not asked about: a kernel that builds IPv6 in as a
        # plain option (not a built-in module) has no "ipv6" for modprobe to find at all (the
        # lab's UML 7.2 kernel: no ipv6.ko, none in modules.builtin), so the dry run would
        # refuse a host that serves IPv6 fine.
        modules = [m for m in director_modules(view) if m != 'ipv6' or not ipv6_live(ip_addr, {})]
        for rs in view.get('dr_realservers') or []:
            if rs['address'] not in route_get:
                route_get.append(rs['address'])
    elif owner == 'dr_realserver':
        device = settings.get('vip_device') or 'lo'
        if view.get('vips') and device != 'lo' and device not in live:
            modules = ['dummy']
    elif owner == 'tun_realserver':
        vips = view.get('vips') or []
        modules = ((['ipip'] if any(not is_ipv6(v) for v in vips) else [])
                   + (['ip6_tunnel'] if any(is_ipv6(v) for v in vips) else []))
    elif owner == 'nat_realserver':
        if view.get('gateway'):
            route_get = [view['gateway']]
    return {'modules': modules, 'route_get': route_get,
            'management': owner == 'nat_realserver' and bool(settings.get('check_management_path', True))}


def _kernel_route(answer):
    """(route dict or None, error text) from one ``ip -j route get`` answer {rc, routes, stderr}."""
    if answer.get('rc', 1) != 0:
        return None, (answer.get('stderr') or '').strip()
    routes = answer.get('routes') or [{}]
    return routes[0], ''


def findings(owner, host, view, settings, address, ip_addr, modprobe=None, route_get=None,
             management_peer='', management_routes=None, desired_routes=None):
    """Every pre-flight failure, each a full message naming host, service and rule id.

    ``modprobe``: module -> {rc, stderr} of ``modprobe --dry-run``; ``route_get``: address ->
    {rc, routes, stderr} of ``ip -j route get``; ``management_routes``: the live routes that
    cover ``management_peer`` (``ip -j route show table main match PEER``), None when unknown.
    """
    modprobe = modprobe or {}
    route_get = route_get or {}
    labels = view.get('labels') or {}
    label_list = list(labels.values()) or ['host ' + host]
    live = [link.get('ifname') for link in ip_addr]
    live_text = ', '.join(str(i) for i in live)
    errors = []  # messages without a service label

    if view.get('services') and address and not interface_of(ip_addr, address) and (
            owner in ('director', 'nat_realserver') or view.get('vips')):
        errors.append('lvs_address %s is not configured on any interface of this host (live: %s); configure the '
                      'data-plane address first or correct lvs_address [preflight-address]' % (address, live_text))

    if owner == 'director':
        if view.get('services'):
            for var, dev in (('lvs_director_vip_interface', view.get('vip_interface')),
                             ('lvs_director_internal_interface', view.get('internal_interface'))):
                if dev and dev not in live:
                    errors.append("%s %s does not exist on this host (live: %s); correct the variable or the host's "
                                  'network configuration [preflight-interface]' % (var, dev, live_text))
        for module in director_modules(view):
            answer = modprobe.get(module) or {}
            if answer.get('rc', 0) != 0:
                errors.append('kernel module %s cannot be loaded: %s; install the kernel modules package for the running '
                              'kernel%s [preflight-module]'
                              % (module, (answer.get('stderr') or '').strip(),
                                 ' or choose another scheduler' if module.startswith('ip_vs_') else ''))
        out = [label + ': ' + e for e in errors for label in label_list]
        # Per real server, labelled by its own service.
        for rs in view.get('dr_realservers') or []:
            got, err = _kernel_route(route_get.get(rs['address']) or {'rc': 0})
            if got is None or 'gateway' in got:
                how = ('via %s dev %s' % (got['gateway'], got.get('dev', '?'))) if got is not None else err
                out.append('%s: DR real server %s (%s) is not on-link from this director (kernel: %s); DR rewrites only '
                           "the MAC address, so the director needs an address in the real server's segment - configure "
                           'it or use mode tun [preflight-dr-onlink]'
                           % (labels.get(rs['service'], 'host %s, service %s' % (host, rs['service'])),
                              rs['host'], rs['address'], how))
        return out

    interface = settings.get('interface') or ''
    if interface and interface not in live:
        errors.append('%s_interface %s does not exist on this host (live: %s) [preflight-interface]'
                      % (owner, interface, live_text))

    if owner in ('dr_realserver', 'tun_realserver'):
        for module, answer in sorted(modprobe.items(), key=lambda kv: ('ip6' in kv[0], kv[0])):
            if answer.get('rc', 0) == 0:
                continue
            if owner == 'dr_realserver':
                errors.append('kernel module dummy (for dr_realserver_vip_device %s) cannot be loaded: %s; install the '
                              'kernel modules package or use dr_realserver_vip_device: lo [preflight-module]'
                              % (settings.get('vip_device'), (answer.get('stderr') or '').strip()))
            else:
                errors.append('kernel module %s (IP-in-IP decapsulation) cannot be loaded: %s; install the kernel '
                              'modules package for the running kernel [preflight-module]'
                              % (module, (answer.get('stderr') or '').strip()))

    if owner == 'nat_realserver':
        gateway = view.get('gateway') or ''
        if view.get('services') and not gateway:
            errors.append('no gateway: no director of this service has lvs_director_internal_address and the host has '
                          'no lvs_gateway [preflight-gateway]')
        dev = data_interface(settings, address, ip_addr)
        if gateway and gateway in route_get:
            got, err = _kernel_route(route_get[gateway])
            if got is None or 'gateway' in got or (dev and got.get('dev', '') != dev):
                how = ((('via %s ' % got['gateway']) if 'gateway' in got else '') + 'dev ' + str(got.get('dev', '?'))
                       if got is not None else err)
                errors.append("the DIP %s is not on-link on the data interface %s (kernel: %s); NAT replies must go "
                              "straight to the director: put the real server in the DIP's subnet [preflight-gateway]"
                              % (gateway, dev or '?', how))
        if management_peer and management_routes is not None:
            for c in conflicts(management_peer, management_routes, desired_routes or [], gateway,
                               int(settings.get('route_metric', 10))):
                errors.append(
                    'the management connection from %s (SSH_CLIENT) uses the route "%s"; the route %s via the DIP %s '
                    'metric %s this role would install takes precedence and would cut Ansible off. Set '
                    'nat_realserver_client_networks to the client networks (routes via the DIP instead of a default '
                    'route), add a more specific route to the management network, or set '
                    'nat_realserver_check_management_path: false if management really passes through the director '
                    '[preflight-mgmt-path]' % (management_peer, c['current'], c['route']['dst'], c['route']['via'],
                                               c['route']['metric']))

    return [label + ': ' + e for label in label_list for e in errors]
