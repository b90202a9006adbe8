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
# keepalived -t must see the staged file next to the live one (scripts are resolved relative to it).
STAGED_PATH = '/etc/keepalived/keepalived.conf.lvs-staged'

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


def _global_defs(out, host, vrrp):
    out.open('global_defs')
    out.line('router_id %s' % host)
    if vrrp is not None and vrrp.get('sync'):
        out.line('lvs_sync_daemon %s inst %s id %d' % (vrrp['sync_interface'], vrrp['instance'], vrrp['sync_id']))
    out.close()


def _vrrp_instance(out, vrrp):
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
    _global_defs(out, host, vrrp)
    if vrrp is not None:
        _vrrp_instance(out, vrrp)
    for svc in view.get('virtual_servers') or ():
        _virtual_server(out, svc, vrrp is not None)
    for probe in view.get('probes') or ():
        _probe(out, probe)
    return header + out.text()
