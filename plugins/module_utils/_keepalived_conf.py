# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived.conf for one director, rendered from its view (``director.keepalived``).

Pure text out.  What keepalived writes on this host, and why it is shaped this way:

- One VRRP instance per director group carries every VIP of the group and the NAT DIP, so
  they can never be split between the two directors (a sync group of one instance per
  address set gives the same guarantee with more ways to break).  ``state BACKUP`` on every
  member and the priority decide the master; ``nopreempt`` keeps the VIPs where they are when
  a director comes back (keepalived requires state BACKUP for it).
- Unicast peers on the data-plane addresses: no multicast dependency on the segment.
- ``vrrp_strict`` (and ``no_accept``) are never emitted: they install a filter that drops
  packets to the VIPs before IPVS sees them (keepalived #474, #1946).
- ``lvs_sync_daemon`` names the instance, so the IPVS sync daemon is master where the
  instance is master and backup elsewhere; its id is the VRID.
- The checker owns the health-checked virtual services only; lvs.cluster.ipvs owns the
  static ones (docs/roles.md, "Who writes which IPVS service").
- A check ``via: vip`` connects to the VIP from the director's own address with the probe's
  fwmark: the probe service (a fwmark service holding that one real server, DR or TUN) sends
  it down the same forwarding path as client traffic, so a real server without the VIP fails
  it.  Timing: the first failure is seen at most ``interval`` after the death and
  ``timeout`` later; each of ``retries`` retries follows ``interval - timeout`` after the
  previous failure, so a dead real server leaves within interval x (retries + 1) + timeout.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

CONF_PATH = '/etc/keepalived/keepalived.conf'
# Next to the config: keepalived -t on a staged config fails when a script it names is missing.
ALIVE_SCRIPT_PATH = '/etc/keepalived/lvs-cluster-alive'
# Subtracted from the priority while none of the director's health-checked services has a live
# real server (its own checks failed, as when its link is cut): more than any priority spread, so
# an isolated director that comes back cannot win the election it forces with empty services.
ALIVE_PENALTY = 253

# The VRRP track script: exit 0 when one of the services given (tcp:10.0.0.10:80, fwm:7) has a
# real server with a weight above 0 in /proc/net/ip_vs (no ipvsadm needed).
ALIVE_SCRIPT = '''#!/usr/bin/python3
# lvs.cluster: VRRP track script of keepalived's director group (keepalived.conf vrrp_script).
# Exit 0 when one of the services given (tcp:10.0.0.10:80, udp:[2001:db8::1]:53, fwm:7) has a
# real server with a weight above 0 in the kernel's IPVS table; 1 otherwise.
import ipaddress
import sys


def _addr(text):
    host, _, port = text.rpartition(':')
    host = host.strip('[]')
    if ':' not in host:
        host = str(ipaddress.IPv4Address(int(host, 16)))
    return str(ipaddress.ip_address(host)), int(port, 16)


def live():
    found, current = set(), None
    with open('/proc/net/ip_vs') as table:
        for line in table:
            fields = line.split()
            if len(fields) >= 3 and fields[0] in ('TCP', 'UDP', 'SCTP'):
                address, port = _addr(fields[1])
                current = '%s:%s' % (fields[0].lower(), '[%s]:%d' % (address, port) if ':' in address else '%s:%d' % (address, port))
            elif len(fields) >= 2 and fields[0] == 'FWM':
                current = 'fwm:%d' % int(fields[1], 16)
            elif len(fields) >= 4 and fields[0] == '->' and current and fields[3].isdigit() and int(fields[3]) > 0:
                found.add(current)
    return found


if __name__ == '__main__':
    try:
        sys.exit(0 if live() & set(sys.argv[1:]) else 1)
    except (OSError, ValueError):
        sys.exit(1)
'''

_KIND = {'dr': 'DR', 'tun': 'TUN', 'nat': 'NAT'}
_INDENT = '    '


def _fmt_number(value):
    """advert_int and timers: keepalived takes decimals; print integers without ``.0``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class _Out(object):
    def __init__(self):
        self.lines = []
        self.depth = 0

    def line(self, text=''):
        self.lines.append((_INDENT * self.depth + text) if text else '')

    def open(self, text):
        self.line(text + ' {')
        self.depth += 1

    def close(self):
        self.depth -= 1
        self.line('}')

    def text(self):
        return '\n'.join(self.lines) + '\n'


def _global_defs(out, host, vrrp, scripts):
    out.open('global_defs')
    out.line('router_id %s' % host)
    if scripts:
        # The only script is the collection's own, root-owned and not writable by others.
        out.line('enable_script_security')
        out.line('script_user root')
    if vrrp is not None and vrrp.get('sync'):
        out.line('lvs_sync_daemon %s inst %s id %d' % (vrrp['sync_interface'], vrrp['instance'], vrrp['sync_id']))
    out.close()


def _service_id(svc):
    """How the alive script names a service (the /proc/net/ip_vs key, decoded)."""
    if svc.get('fwmark') is not None:
        return 'fwm:%d' % svc['fwmark']
    address = svc['address']
    return '%s:%s' % (svc['protocol'], '[%s]:%d' % (address, svc['port']) if ':' in address else '%s:%d' % (address, svc['port']))


def alive_script_needed(view):
    """The track script guards a group whose director has services checked on every member."""
    return view.get('vrrp') is not None and bool(_alive_services(view))


def _alive_services(view):
    # NAT checks are suspended on the backup (ha_suspend), so they say nothing about isolation.
    return [_service_id(s) for s in view.get('virtual_servers') or ()
            if (s.get('mode') or (s['realservers'][0]['forward'] if s.get('realservers') else 'dr')) != 'nat']


def _vrrp_script(out, view):
    vrrp = view['vrrp']
    out.line()
    out.open('vrrp_script %s_alive' % vrrp['instance'])
    out.line('script "%s %s"' % (ALIVE_SCRIPT_PATH, ' '.join(_alive_services(view))))
    out.line('interval 1')
    out.line('fall 1')
    # Slower to rise than an advert: after a mended link the isolated director sees the peer's
    # advert (and backs off) before its own checks restore its priority.
    out.line('rise 3')
    out.line('weight -%d' % ALIVE_PENALTY)
    out.close()


def _vrrp_instance(out, vrrp, alive=False):
    family = 6 if ':' in vrrp['unicast_src'] else 4
    in_advert = [a for a in vrrp['addresses'] if a.get('family', 6 if ':' in a['address'] else 4) == family]
    excluded = [a for a in vrrp['addresses'] if a not in in_advert]
    # An advert carries at most 20 addresses (RFC 3768); the rest follow the instance unannounced.
    excluded = in_advert[20:] + excluded
    in_advert = in_advert[:20]
    out.line()
    out.open('vrrp_instance %s' % vrrp['instance'])
    out.line('state BACKUP')
    out.line('interface %s' % vrrp['interface'])
    out.line('virtual_router_id %d' % vrrp['virtual_router_id'])
    out.line('priority %d' % vrrp['priority'])
    out.line('advert_int %s' % _fmt_number(vrrp['advert_int']))
    if vrrp.get('version', 2) == 3:
        out.line('version 3')
    if not vrrp.get('preempt'):
        out.line('nopreempt')
    out.line('unicast_src_ip %s' % vrrp['unicast_src'])
    out.open('unicast_peer')
    for peer in vrrp['unicast_peers']:
        out.line(peer)
    out.close()
    # keepalived tracks its own interface anyway and warns (keepalived -t then exits 5) when told to.
    tracked = [name for name in vrrp.get('track_interfaces') or () if name != vrrp['interface']]
    if tracked:
        out.open('track_interface')
        for name in tracked:
            out.line(name)
        out.close()
    if alive:
        out.open('track_script')
        out.line('%s_alive' % vrrp['instance'])
        out.close()
    out.open('virtual_ipaddress')
    for addr in in_advert:
        out.line('%s dev %s' % (addr['address'], addr['device']))
    out.close()
    if excluded:
        out.open('virtual_ipaddress_excluded')
        for addr in excluded:
            out.line('%s dev %s' % (addr['address'], addr['device']))
        out.close()
    out.close()


def _service_head(svc):
    if svc.get('fwmark') is not None:
        return 'virtual_server fwmark %d' % svc['fwmark']
    return 'virtual_server %s %d' % (svc['address'], svc['port'])


def _service_options(out, svc, kind):
    out.line('lvs_sched %s' % svc['scheduler'])
    out.line('lvs_method %s' % kind)
    if svc.get('fwmark') is not None:
        out.line('ip_family %s' % svc.get('family', 'inet'))
    else:
        out.line('protocol %s' % svc['protocol'].upper())
    if svc.get('persistence_timeout'):
        out.line('persistence_timeout %d' % svc['persistence_timeout'])


def _checker(out, check, rs):
    timeout = check['timeout']
    out.open('HTTP_GET' if check['type'] == 'http' else 'TCP_CHECK')
    if check['type'] == 'http':
        out.open('url')
        out.line('path %s' % check.get('path', '/'))
        out.line('status_code %d' % check.get('status', 200))
        out.close()
    if rs.get('connect_ip'):
        out.line('connect_ip %s' % rs['connect_ip'])
    out.line('connect_port %d' % rs['check_port'])
    if rs.get('bindto'):
        out.line('bindto %s' % rs['bindto'])
    if rs.get('fwmark') is not None:
        out.line('fwmark %d' % rs['fwmark'])
    out.line('connect_timeout %s' % _fmt_number(timeout))
    out.line('retry %d' % check['retries'])
    out.line('delay_before_retry %s' % _fmt_number(check['interval'] - timeout))
    out.close()


def _virtual_server(out, svc, in_group):
    check = svc['check']
    kind = _KIND[svc.get('mode') or (svc['realservers'][0]['forward'] if svc['realservers'] else 'dr')]
    out.line()
    out.line('# service %s' % svc['name'])
    out.open(_service_head(svc))
    out.line('delay_loop %s' % _fmt_number(check['interval']))
    _service_options(out, svc, kind)
    if in_group and kind == 'NAT':
        # A backup has no DIP, hence no route to the NAT real servers: its checks would fail and
        # empty the service just before a failover needs it. Checks run where the VIP is.
        out.line('ha_suspend')
    for rs in svc['realservers']:
        port = rs.get('port')
        out.open('real_server %s %d' % (rs['address'], port if port is not None else 0))
        out.line('weight %d' % rs['weight'])
        _checker(out, check, rs)
        out.close()
    out.close()


def _probe(out, probe):
    out.line()
    out.line('# forwarding-path probe for %s (%s): carries only the checker\'s marked packets'
             % (probe.get('host', probe['address']), probe['forward']))
    out.open('virtual_server fwmark %d' % probe['fwmark'])
    out.line('lvs_sched rr')
    out.line('lvs_method %s' % _KIND[probe['forward']])
    out.line('ip_family %s' % probe.get('family', 'inet'))
    out.open('real_server %s 0' % probe['address'])
    out.line('weight 1')
    out.close()
    out.close()


def render(host, view, header=''):
    """The whole keepalived.conf for ``host`` from ``view`` (the director view's ``keepalived``)."""
    out = _Out()
    vrrp = view.get('vrrp')
    alive = alive_script_needed(view)
    _global_defs(out, host, vrrp, alive)
    if alive:
        _vrrp_script(out, view)
    if vrrp is not None:
        _vrrp_instance(out, vrrp, alive)
    for svc in view.get('virtual_servers') or ():
        _virtual_server(out, svc, vrrp is not None)
    for probe in view.get('probes') or ():
        _probe(out, probe)
    return header + out.text()


UNIT_DROPIN_PATH = '/etc/systemd/system/keepalived.service.d/lvs-cluster.conf'


def unit_dropin(header, unicast_src):
    """The systemd drop-in for keepalived.service on a director of a group.

    keepalived (2.2.7 and later, acassen/keepalived#1847, #2514) that starts before its
    ``unicast_src_ip`` is assigned fails to bind it and stays in FAULT for good, so a director
    whose network came up late after a boot never took part in VRRP again (seen in the lab).
    The drop-in polls, for at most 60 s, until the address is on the host and past duplicate
    address detection; the leading ``-`` starts keepalived anyway afterwards, so a host whose
    address never comes shows its FAULT state instead of a unit that failed to start.
    """
    address = str(unicast_src).partition('/')[0]
    return ''.join([
        header,
        '# lvs.cluster: keepalived starts once its unicast source address %s is usable\n' % address,
        '[Unit]\n',
        'After=network-online.target\n',
        'Wants=network-online.target\n',
        '\n',
        '[Service]\n',
        "ExecStartPre=-/usr/bin/timeout 60 /bin/sh -c 'until ip -o addr show to %s | grep -v tentative "
        "| grep -q .; do sleep 0.2; done'\n" % address,
    ])
