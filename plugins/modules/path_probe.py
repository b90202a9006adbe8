#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: path_probe
short_description: Reach each real server on its own from its director, the way IPVS forwards to it
description:
  - Runs on a director and proves, real server by real server, that a client's connection
    forwarded by IPVS would be accepted - whatever the scheduler or persistence would pick.
  - V(dr) - a TCP SYN to C(VIP:port) in an Ethernet frame to the real server's MAC, as IPVS
    direct routing sends it. V(tun) - the same SYN inside an IP-in-IP packet (ip6ip6 for
    IPv6) to the real server's address. The SYN has TTL (hop limit) 1, so a real server without
    the VIP cannot forward it to a director whose IPVS would have another real server answer.
    The real server must answer SYN-ACK from C(VIP:port);
    a RST, or no answer within O(timeout) (the SYN is sent again halfway), fails the probe.
    A RST then ends the half-open connection on the real server.
  - V(nat) - a TCP connect to the real server's address and port (the address IPVS rewrites
    to), then close. A probe with C(standby) set (a NAT service of a director group) is skipped
    when this director has no route onto the real server's segment - a backup, which does not
    hold the floating DIP.
  - DR and TUN frames leave by a packet socket and the answer is read at the device, so the
    director's IPVS table is neither used nor changed, and no sysctl needs to change (the
    answer's source is the VIP, which the director's IP stack would drop as its own address).
  - The real server's (DR) or next hop's (TUN) MAC comes from the neighbour table; when it is
    not there, one UDP datagram to port 9 (discard) makes the kernel resolve it.
  - Needs root (C(CAP_NET_RAW)), Linux, C(ip) from iproute2 and Python's standard library.
  - Used by C(playbooks/verify.yml); the plan comes from the P(lvs.cluster.path_plan#filter) filter.
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  probes:
    description:
      - The probes, as P(lvs.cluster.path_plan#filter) returns them, each with C(name) (the
        service), C(host) (the real server), C(mode) (V(dr), V(tun) or V(nat)), C(vip), C(port),
        C(rip) (the real server's address), C(rport) (its port) and, optionally, C(standby).
      - All are checked before anything is sent.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait for each real server's answer.
    type: float
    default: 2
  fail_on_error:
    description:
      - Fail when a probe failed; the message names the service, real server, mode, address
        and error of each.
      - With V(false) the failures are only returned (RV(probes), RV(failures)).
    type: bool
    default: true
attributes:
  check_mode:
    description:
      - Runs normally in check mode. It changes nothing on any host, but the packets are real.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: A Linux director, as root.
    platforms: posix
    support: full
notes:
  - Always returns C(changed=false).
  - A probe proves the real server's side of the forwarding path (the VIP on its loopback or
    tunnel device, its ARP and rp_filter settings, a listener on C(VIP:port)); that the
    director's IPVS service sends clients there is what C(playbooks/verify.yml)'s counters show.
  - The SYN carries no TCP options, so the real server answers with its default MSS.
seealso:
  - module: lvs.cluster.probe
  - module: lvs.cluster.ipvs_info
'''

EXAMPLES = r'''
- name: Reach every real server of this director's services through the forwarding path
  lvs.cluster.path_probe:
    probes: "{{ lvs_cluster_model.services | lvs.cluster.path_plan(inventory_hostname) }}"
    fail_on_error: false
  register: paths

- name: One DR real server by hand
  lvs.cluster.path_probe:
    probes:
      - {name: web, host: dr1, mode: dr, vip: 10.0.0.10, port: 80, rip: 10.0.0.11, rport: 80}
'''

RETURN = r'''
probes:
  description: One entry per probe, in order - the probe's keys plus the outcome.
  returned: when the probes could be sent
  type: list
  elements: dict
  contains:
    name:
      description: The service, from the probe.
      type: str
      sample: web-dr
    host:
      description: The real server, from the probe.
      type: str
      sample: dr1
    mode:
      description: V(dr), V(tun) or V(nat), from the probe.
      type: str
      sample: dr
    ok:
      description: Whether the real server accepted the connection.
      type: bool
      sample: true
    skipped:
      description: Whether this director skipped the probe (C(standby), and no route onto the real server's segment).
      type: bool
      sample: false
    error:
      description: Why not (for example C(no answer within 2 s) or C(refused (RST))), or V(null).
      type: str
      sample: no answer within 2 s
    ms:
      description: Milliseconds from sending to the answer.
      type: float
      sample: 1.7
failures:
  description: One line per failed probe.
  returned: when the probes could be sent
  type: list
  elements: str
  sample: ["web-dr dr1 (dr via 10.0.0.11): no answer within 2 s"]
'''

import json
import os
import random
import socket
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._path_probe import (
    ETH_P_IP, ETH_P_IPV6, PathProbeError, RST, SYN, answer, check_entry, family_of, frame, parse_frame, summary,
)
from ansible_collections.lvs.cluster.plugins.module_utils._probe import tcp_once

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
# Neighbour states whose MAC is usable.
_USABLE = ('REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP')


class Director(object):
    """The director's side: routes, neighbours and the packet sockets."""

    def __init__(self, module):
        self.module = module
        self.routes = {}
        self.macs = {}

    def ip_json(self, family, args):
        argv = ['ip', '-j'] + (['-6'] if family == 6 else ['-4']) + args
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            raise PathProbeError('%s: %s' % (' '.join(argv), (err or out).strip()))
        try:
            return json.loads(out or '[]')
        except ValueError as exc:
            raise PathProbeError('%s: not JSON (%s): %r' % (' '.join(argv), exc, out[:200]))

    def route(self, rip):
        """(device, source address, next hop) towards ``rip``."""
        if rip not in self.routes:
            found = self.ip_json(family_of(rip), ['route', 'get', rip])
            if not found:
                raise PathProbeError('no route to %s' % rip)
            hop = found[0]
            if not hop.get('dev') or not hop.get('prefsrc'):
                raise PathProbeError('the route to %s names no device or source address: %s' % (rip, hop))
            self.routes[rip] = (hop['dev'], hop['prefsrc'], hop.get('gateway') or rip)
        return self.routes[rip]

    def neighbour(self, family, dev, nexthop, target, deadline):
        """The MAC of ``nexthop`` on ``dev``, resolved by the kernel if it is not known yet
        (by sending to ``target``, whose route goes through it)."""
        key = (dev, nexthop)
        poked = 0.0
        while key not in self.macs:
            for entry in self.ip_json(family, ['neigh', 'show', 'to', nexthop, 'dev', dev]):
                states = entry.get('state') or []
                if entry.get('lladdr') and any(s in _USABLE for s in states):
                    self.macs[key] = entry['lladdr']
            if key in self.macs:
                break
            now = time.monotonic()
            if now >= deadline:
                raise PathProbeError('the MAC of %s on %s did not resolve' % (nexthop, dev))
            if now - poked >= 0.5:
                poked = now
                # Any datagram makes the kernel resolve the next hop (ARP or neighbour discovery);
                # sent to the target, not to a next hop that may be a scoped link-local address.
                with socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET, socket.SOCK_DGRAM) as poke:
                    try:
                        poke.sendto(b'', (target, 9))
                    except OSError:
                        pass
            time.sleep(0.05)
        return self.macs[key]

    def probe(self, entry, timeout):
        """Send one probe; (ok, error, ms), or None when a standby director skips it."""
        start = time.monotonic()
        if entry['mode'] == 'nat' and entry.get('standby'):
            try:
                on_link = self.route(entry['rip'])[2] == entry['rip']
            except PathProbeError:
                on_link = False
            if not on_link:
                return None
        if entry['mode'] == 'nat':
            try:
                tcp_once({'vip': entry['rip'], 'port': entry['rport']}, timeout)
            except OSError as exc:
                return False, 'connect to %s:%s: %s' % (entry['rip'], entry['rport'], exc.strerror or exc), None
            return True, None, round((time.monotonic() - start) * 1000, 1)
        family = family_of(entry['vip'])
        dev, source, nexthop = self.route(entry['rip'])
        if entry['mode'] == 'dr' and nexthop != entry['rip']:
            return False, '%s is not on a segment of this director (route via %s): DR cannot reach it' % (
                entry['rip'], nexthop), None
        deadline = start + timeout
        mac = self.neighbour(family, dev, nexthop, entry['rip'], deadline)
        with open('/sys/class/net/%s/address' % dev) as handle:
            own_mac = handle.read().strip()
        sport = random.randint(32768, 60999)
        seq = random.randint(0, 0xFFFFFFFF)
        ident = random.randint(0, 0xFFFE)
        listen = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        try:
            # Protocol 0: this socket only sends (it receives nothing); sendto names the device.
            send = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
            where = (dev, ETH_P_IPV6 if family == 6 else ETH_P_IP)
            try:
                syn = frame(entry, source, own_mac, mac, sport, seq, SYN, ident=ident)
                send.sendto(syn, where)
                verdict = self._await(listen, entry, source, sport, seq, (time.monotonic() + deadline) / 2)
                if verdict is None:
                    # Retransmitted once, as TCP would: the first SYN-ACK may wait on the real
                    # server's own neighbour discovery, or the first SYN be lost.
                    send.sendto(syn, where)
                    verdict = self._await(listen, entry, source, sport, seq, deadline)
                if verdict == 'open':
                    # End the real server's half-open connection (it would retry its SYN-ACK).
                    send.sendto(frame(entry, source, own_mac, mac, sport, seq + 1, RST, ident=ident + 2), where)
            finally:
                send.close()
        finally:
            listen.close()
        ms = round((time.monotonic() - start) * 1000, 1)
        if verdict == 'open':
            return True, None, ms
        if verdict == 'refused':
            return False, 'refused (RST from %s:%s)' % (entry['vip'], entry['port']), ms
        return False, 'no answer within %g s' % timeout, None

    @staticmethod
    def _await(listen, entry, source, sport, seq, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            listen.settimeout(left)
            try:
                data, where = listen.recvfrom(65535)
            except socket.timeout:
                return None
            if where[2] == PACKET_OUTGOING or where[1] not in (ETH_P_IP, ETH_P_IPV6):
                continue
            verdict = answer(parse_frame(data), entry, source, sport, seq)
            if verdict:
                return verdict


def main():
    module = AnsibleModule(
        argument_spec=dict(
            probes=dict(type='list', elements='dict', required=True),
            timeout=dict(type='float', default=2.0),
            fail_on_error=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False)
    problem = None
    try:
        if not p['timeout'] or p['timeout'] <= 0:
            raise PathProbeError('timeout %r must be more than 0 seconds' % (p['timeout'],))
        for index, entry in enumerate(p['probes']):
            check_entry(entry, index)
        if any(e['mode'] != 'nat' for e in p['probes']) and os.geteuid() != 0:
            raise PathProbeError('DR and TUN probes need root (a packet socket)')
        director = Director(module)
        results = []
        for entry in p['probes']:
            try:
                outcome = director.probe(entry, p['timeout'])
            except PathProbeError as exc:
                outcome = (False, str(exc), None)
            if outcome is None:
                results.append(dict(entry, ok=False, skipped=True, ms=None,
                                    error='skipped: %s is not on a segment of this director (a backup without the DIP)' % entry['rip']))
            else:
                results.append(dict(entry, ok=outcome[0], skipped=False, error=outcome[1], ms=outcome[2]))
    except PathProbeError as exc:
        problem = 'nothing sent: %s' % (exc,)
    except OSError as exc:
        problem = 'the probe failed on this director: %s' % (exc,)
    else:
        lines = summary(results)
        result.update(probes=results, failures=lines)
        if lines and p['fail_on_error']:
            problem = '%d of %d real servers failed their forwarding-path probe - %s' % (
                len(lines), len(results), '; '.join(lines))
    if problem:
        module.fail_json(msg=problem, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
