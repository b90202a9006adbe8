#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs inside a lab director (real ip_vs, ipvsadm): netlink backend vs ipvsadm backend.

Copied into the guest with plugins/module_utils by tests/lab_live/test_ipvs_netlink.py
(the same tar-over-SSH as bench/ipvs_apply_lab.py) and run as root. Prints one JSON
object: the checks made, the mismatches found (empty when the backends agree) and
counts. Flushes the IPVS table.

Equivalence: for every generated declaration (every scheduler the kernel ships,
scheduler flags, persistence with netmasks, persistence engine, one-packet, fwmark
services in IPv4 and IPv6, thresholds, DR/NAT/TUN with ipip, gue and gre), and for
every transition between two of them, the table is converged once with each backend
from the same start; the live tables must be identical as `ipvsadm -Sn` text, as
`ipvsadm -Ln --thresholds` text, as netlink data, and the restore files byte for byte;
and the backend's own read (real servers from /proc/net/ip_vs where that shows them
all) must equal a read of every service over netlink.

Failure: a batch with a destination the kernel refuses (lower threshold above the upper
one: ERANGE) in the middle leaves, with each backend, the table read at the start.
"""

from __future__ import (absolute_import, division, print_function)

import difflib
import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.tmp', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'lvs', 'cluster')
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
sys.path.insert(0, COLLECTIONS)

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import (  # noqa: E402
    IpvsError, RealServer, Service, Table,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import restore_file  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import (  # noqa: E402
    NetlinkRunner, Runner, converge, open_netlink,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import GenlSocket  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink_codec import IPVS_CMD_GET_DEST  # noqa: E402
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec  # noqa: E402

IPVSADM = 'ipvsadm'


def differs(a, b):
    """A short unified diff of two values (texts line by line, others as JSON)."""
    def lines(v):
        if isinstance(v, dict) and 'content' in v:
            v = v['content']
        if not isinstance(v, str):
            v = json.dumps(v, indent=1, sort_keys=True)
        return v.splitlines()
    return list(difflib.unified_diff(lines(a), lines(b), 'ipvsadm', 'netlink', n=0, lineterm=''))[:40]


def run_command(args, data=None):
    proc = subprocess.run(args, input=data, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def ipvsadm(*args):
    rc, out, err = run_command([IPVSADM] + list(args))
    if rc != 0:
        raise SystemExit('ipvsadm %s: rc=%d %s' % (' '.join(args), rc, err))
    return out


def schedulers():
    found = set()
    for path in glob.glob('/lib/modules/%s/kernel/net/netfilter/ipvs/ip_vs_*.ko*' % os.uname().release):
        name = os.path.basename(path).split('.')[0][len('ip_vs_'):]
        if name not in ('ftp', 'pe_sip', 'proto_sctp'):
            found.add(name)
    return sorted(found) or ['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh']


def has_pe_sip():
    return bool(glob.glob('/lib/modules/%s/kernel/net/netfilter/ipvs/ip_vs_pe_sip.ko*'
                          % os.uname().release))


def rs(address, port, **kw):
    return RealServer(address, port, **kw)


def add(table, svc, *servers):
    for server in servers:
        svc.realservers[server.key] = server
    table.services[svc.key] = svc
    return svc


def declaration(variant, scheds):
    """One generated table; ``variant`` shifts weights, schedulers and membership."""
    t = Table()
    v = variant
    for i, sched in enumerate(scheds):
        s = scheds[(i + v) % len(scheds)]
        vip = '10.%d.0.%d' % (10 + v % 2, 10 + i)
        flags = ()
        if s in ('sh', 'mh'):
            flags = ((s + '-fallback',), (s + '-port',), (s + '-fallback', s + '-port'))[(i + v) % 3]
        elif s == 'rr' and v % 2:
            flags = ('flag-1', 'flag-3')
        persist = (None, 300, 60)[(i + v) % 3]
        mask = ('255.255.255.0' if (i + v) % 2 else '255.255.0.0') if persist else None
        add(t, Service('tcp', vip, 80, scheduler=s, persistence_timeout=persist,
                       persistence_netmask=mask, scheduler_flags=flags),
            rs('10.1.%d.1' % i, 80, weight=1 + (i + v) % 5),
            rs('10.1.%d.2' % i, 8080, forward='nat', weight=(i * v) % 3,
               upper_threshold=(100 + v if i % 2 else 0), lower_threshold=(10 if i % 2 else 0)),
            rs('10.1.%d.3' % i, 80, forward='tun', weight=2))
    # IPv6, UDP one-packet, SCTP, tunnels of every type.
    add(t, Service('udp', '2001:db8::%x' % (10 + v % 2), 53, family='inet6', scheduler='sh',
                   scheduler_flags=('sh-port',), one_packet=True,
                   persistence_timeout=120 if v % 2 else None,
                   persistence_netmask='64' if v % 2 else None),
        rs('2001:db8:1::1', 53, weight=3),
        rs('2001:db8:1::2', 5353, forward='nat', weight=1 + v),
        rs('2001:db8:1::3', 53, forward='tun', tun_type='gue', tun_port=6080 + v,
           tun_csum=('nocsum', 'csum', 'remcsum')[v % 3]),
        rs('2001:db8:1::4', 53, forward='tun', tun_type='gre', tun_csum=('csum', 'nocsum')[v % 2]))
    add(t, Service('sctp', '10.2.0.%d' % (1 + v % 3), 3868, scheduler='rr'),
        rs('10.2.1.1', 3868), rs('10.2.1.2', 3868, forward='nat', weight=4))
    # fwmark services, IPv4 and IPv6 (the same mark in both families).
    add(t, Service(fwmark=42 + v % 2, scheduler='wlc', persistence_timeout=600,
                   persistence_netmask='255.255.255.240'),
        rs('10.3.0.1', 0, weight=5, upper_threshold=50, lower_threshold=5),
        rs('10.3.0.2', 0, forward='tun', tun_type='gue', tun_port=5555, tun_csum='csum'),
        rs('10.3.0.3', 0, forward='nat'))
    add(t, Service(fwmark=42, family='inet6', scheduler='lc', persistence_timeout=30,
                   persistence_netmask=str(48 + v)),
        rs('2001:db8:2::1', 0, weight=2), rs('2001:db8:2::2', 0, forward='tun'))
    if has_pe_sip():
        add(t, Service('udp', '10.4.0.1', 5060, scheduler='rr', persistence_timeout=90,
                       persistence_engine='sip'),
            rs('10.4.1.1', 5060))
    if v == 2:
        # Membership changes: a service and some servers go.
        del t.services[next(k for k in t.services if k[0] == 'sctp')]
        for svc in t.services.values():
            for key in sorted(svc.realservers)[:1]:
                del svc.realservers[key]
    return t


def plain(scheds):
    """Variant 1 without tunnels and thresholds, plus a local real server.

    The netlink backend reads such real servers from /proc/net/ip_vs (the
    other variants have a tunnel or a threshold in nearly every service, which
    it dumps over netlink instead).  10.0.0.1 is the director's own address,
    which the kernel lists as a Local destination.
    """
    t = declaration(1, scheds)
    for svc in t.services.values():
        for key, server in list(svc.realservers.items()):
            if server.forward == 'tun':
                del svc.realservers[key]
            else:
                server.upper_threshold = server.lower_threshold = 0
    add(t, Service('tcp', '10.5.0.1', 80, scheduler='rr'), rs('10.0.0.1', 80), rs('10.5.1.1', 80))
    return t


# Services whose real servers the backend's own read took from /proc/net/ip_vs.
FROM_PROC = []


def fast_read(reference=None):
    """The live table as the backend reads it (/proc/net/ip_vs where it can), and how."""
    nl = open_netlink()
    dumps = []
    dump = nl.nl.dump

    def counted(cmd, attrs=b''):
        dumps.append(cmd)
        return dump(cmd, attrs)
    nl.nl.dump = counted
    try:
        table = nl.read_table(reference=reference)
    finally:
        nl.nl.close()
    FROM_PROC.append(len(table) - dumps.count(IPVS_CMD_GET_DEST))
    return table


# [services parsed by the kernel-layout fast path, non-fwmark services dumped].
KERNEL_LAYOUT = [0, 0]


def kernel_layout_agrees(nl):
    """Every non-fwmark GET_SERVICE message of the real kernel takes the fast path, to the same result."""
    ok = True
    for payload in nl.nl.dump(codec.IPVS_CMD_GET_SERVICE):
        general = codec.service_fields(payload)[0]
        if general[3] is not None:
            continue
        fast = codec._kernel_layout(payload)
        KERNEL_LAYOUT[1] += 1
        KERNEL_LAYOUT[0] += fast is not None
        ok = ok and fast == general
        if general[4] == 'inet':
            # The declared-table shortcut: the kernel's bytes are the predicted ones.
            ref = Service(*general)
            REFERENCE[1] += 1
            REFERENCE[0] += codec.reference_service(payload, {ref.key: ref}, {}) is ref
    return ok


# [IPv4 service messages the reference shortcut took as their own service, all of them].
REFERENCE = [0, 0]


def snapshot():
    """The live table as every reader sees it."""
    nl = NetlinkRunner(GenlSocket())
    try:
        table = nl.read_table(thresholds=True)
        data = table.to_data()
        plain = nl.read_table()
        # Read against an equal table (every object shareable) and against the
        # declared-like copy with thresholds: what is read must not change.
        shared = fast_read(reference=plain.copy())
        return {'save': ipvsadm('-Sn'), 'thresholds': ipvsadm('-Ln', '--thresholds'),
                # Thresholds read as 0 without thresholds=True, as in ipvsadm -Sn.
                'fast_read_is_dump_read': fast_read() == plain,
                'referenced_read_is_dump_read': shared == plain
                and fast_read(reference=table.copy()) == plain,
                'kernel_layout': kernel_layout_agrees(nl),
                'timeouts': ipvsadm('-Ln', '--timeout'),
                'netlink': data, 'restore_file': restore_file(ipvsadm('-Sn')),
                'netlink_restore_file': restore_file(nl.read_save()),
                'rendered_vs_save': sorted(nl.read_save().splitlines())
                == sorted(ipvsadm('-Sn').splitlines())}
    finally:
        nl.nl.close()


def as_managed(live, declared):
    """The live data as the module manages it for ``declared``.

    Thresholds are documented as managed only when some declared real server
    sets one (the ipvs module's upper_threshold option): a declaration without
    any leaves the live ones alone, in both backends.
    """
    if any(rs.upper_threshold or rs.lower_threshold
           for svc in declared.services.values() for rs in svc.realservers.values()):
        return live
    live = json.loads(json.dumps(live))
    for svc in live:
        for rs in svc['realservers']:
            rs['upper_threshold'] = rs['lower_threshold'] = 0
    return live


def runner(backend):
    if backend == 'netlink':
        return open_netlink()
    return Runner(run_command, IPVSADM)


def load(table, backend='ipvsadm'):
    ipvsadm('-C')
    if len(table):
        converge(runner(backend), table, want_table=False)


def main():
    report = {'checks': 0, 'mismatches': [], 'services': 0, 'realservers': 0,
              'schedulers': [], 'transitions': 0, 'commands': {'netlink': 0, 'ipvsadm': 0}}
    scheds = schedulers()
    for mod in ['ip_vs'] + ['ip_vs_' + s for s in scheds] + ['ip_vs_pe_sip']:
        subprocess.run(['modprobe', mod], check=False, capture_output=True)
    report['schedulers'] = scheds
    report['persistence_engine_sip'] = has_pe_sip()
    decls = [Table()] + [declaration(v, scheds) for v in range(3)] + [plain(scheds)]
    report['services'] = sum(len(t) for t in decls)
    report['realservers'] = sum(len(s.realservers) for t in decls for s in t.services.values())
    start = time.time()
    timeouts = [None, {'tcp': 901, 'tcpfin': 121, 'udp': 301}, {'udp': 77}]
    for i, before in enumerate(decls):
        for j, after in enumerate(decls):
            if i == j and i:
                continue
            snaps, results = {}, {}
            for backend in ('ipvsadm', 'netlink'):
                load(before)
                ipvsadm('--set', '900', '120', '300')
                res = converge(runner(backend), after, timeouts=timeouts[(i + j) % 3],
                               want_diff=True, want_table=False, want_save=True)
                report['commands'][backend] += len(res['commands'])
                again = converge(runner(backend), after, timeouts=timeouts[(i + j) % 3])
                snap = snapshot()
                snap['noop_after'] = not again['changed']
                snaps[backend] = snap
                results[backend] = {k: res[k] for k in ('commands', 'diff', 'restore_file', 'changed')}
            report['transitions'] += 1
            for key in snaps['ipvsadm']:
                report['checks'] += 1
                if snaps['ipvsadm'][key] != snaps['netlink'][key]:
                    report['mismatches'].append({'transition': [i, j], 'what': key, 'diff': differs(
                        snaps['ipvsadm'][key], snaps['netlink'][key])})
            for key in results['ipvsadm']:
                report['checks'] += 1
                if results['ipvsadm'][key] != results['netlink'][key]:
                    report['mismatches'].append({'transition': [i, j], 'what': 'result ' + key,
                                                 'diff': differs(results['ipvsadm'][key],
                                                                 results['netlink'][key])})
            for backend, snap in snaps.items():
                report['checks'] += 5
                for key in ('referenced_read_is_dump_read', 'kernel_layout', 'fast_read_is_dump_read'):
                    if not snap[key]:
                        report['mismatches'].append({'transition': [i, j], 'what': backend + ' ' + key})
                if not snap['noop_after']:
                    report['mismatches'].append({'transition': [i, j], 'what': backend + ' not converged'})
                if not snap['rendered_vs_save']:
                    report['mismatches'].append({'transition': [i, j], 'what': 'render != -Sn',
                                                 'diff': differs(snap['restore_file'],
                                                                 snap['netlink_restore_file'])})
                if as_managed(snap['netlink'], after) != after.to_data():
                    report['mismatches'].append({'transition': [i, j], 'what': backend + ' live != declared',
                                                 'live': snap['netlink'], 'declared': after.to_data()})
    report['equivalence_seconds'] = round(time.time() - start, 1)
    report['services_read_from_proc'] = sum(FROM_PROC)
    report['kernel_layout'] = KERNEL_LAYOUT
    report['reference_shortcut'] = REFERENCE
    report['reads'] = len(FROM_PROC)

    # ipvs_info: both backends give the same fact (counters are all zero: no traffic).
    load(decls[1])
    info = {}
    for backend in ('ipvsadm', 'netlink'):
        info[backend] = runner(backend).read_info(stats=True, rates=True, thresholds=True)
        info[backend].pop('version', None)
    report['checks'] += 1
    if info['ipvsadm'] != info['netlink']:
        report['mismatches'].append({'what': 'read_info', 'diff': differs(info['ipvsadm'],
                                                                          info['netlink'])})

    # A failure in the middle of the batch: the kernel refuses l_threshold > u_threshold.
    report['failure'] = {}
    for backend in ('ipvsadm', 'netlink'):
        load(decls[1])
        start_snap = snapshot()
        bad = declaration(2, scheds)
        svc = next(s for s in bad.services.values() if s.protocol == 'tcp')
        broken = rs('10.9.9.9', svc.port, weight=1, upper_threshold=5, lower_threshold=50)
        svc.realservers[broken.key] = broken
        try:
            converge(runner(backend), bad, timeouts={'udp': 55})
            outcome = {'raised': False}
        except IpvsError as exc:
            outcome = {'raised': True, 'msg': exc.msg, 'restore': exc.details.get('restore', {}).get('status'),
                       'stderr': exc.details.get('stderr')}
        end_snap = snapshot()
        outcome['table_as_at_start'] = end_snap == start_snap
        report['failure'][backend] = outcome
        report['checks'] += 2
        if not outcome['raised'] or not outcome['table_as_at_start']:
            report['mismatches'].append({'what': 'failure ' + backend, 'outcome': outcome})
    ipvsadm('-C')
    print(json.dumps(report, indent=1, sort_keys=True))
    return 0 if not report['mismatches'] else 1


if __name__ == '__main__':
    sys.exit(main())
