# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files one lvs.cluster owner keeps on its host, rendered from the record.

Pure text out.  Byte for byte what the 0.1 ``host_net`` role's templates wrote, so a host
converged by it converges with no change.

- ``/etc/lvs-cluster/OWNER.ip``: the boot-time ``ip -batch`` file; its state line is the
  record of what the owner manages (``_net_delta.parse_state``).
- ``/etc/sysctl.d/60-lvs-cluster-OWNER.conf`` and ``/etc/modules-load.d/...``: applied by
  systemd-sysctl and systemd-modules-load at boot.
- ``/etc/systemd/system/lvs-cluster-OWNER.service``: runs the ip batch file at boot.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import IP_BIN
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import boot_lines, state_line


def _lines(*chunks):
    return ''.join(line + '\n' for line in chunks)


def ip_file(owner, header, record, paths):
    """The boot-time ip batch file; ``record`` already holds any extra keys (the IPVS scope)."""
    out = header + (
        '# lvs.cluster %s: applied at boot by %s\n'
        '# (`ip -force -batch %s`); every line is idempotent.\n'
        '# The next line records what the role manages; the next run removes what is listed there\n'
        '# and no longer declared. Do not edit.\n' % (owner, paths['unit'], paths['ip_file']))
    return out + _lines(state_line(record), *boot_lines(record))


def sysctl_file(owner, header, record):
    out = header + (
        '# lvs.cluster %s: applied at boot by systemd-sysctl (per-interface keys by\n'
        '# udev when the interface appears). Removed keys are restored to their earlier value by the role.\n'
        % owner)
    return out + _lines(*('%s = %s' % (k, v) for k, v in sorted(record.get('sysctl', {}).items())))


def modules_file(header, record):
    return header + _lines(*record.get('modules', []))


def unit_file(owner, header, record, paths, unit):
    """The boot unit; ``unit`` = ``_host_desired.unit_settings(owner, ...)``."""
    after = ''.join(' ' + u for u in unit['after'])
    before = ''.join(' ' + u for u in unit['before'])
    out = [header.rstrip('\n'), '[Unit]',
           'Description=%s' % (unit['description'] or 'lvs.cluster ' + owner),
           'Documentation=file:%s' % paths['ip_file']]
    if unit['boot'] == 'early':
        out += ['# Early: the VIPs (and the ARP/rp_filter sysctls from systemd-sysctl) must be in place before',
                '# the director can send traffic; lo, dummy and fallback tunnel devices do not depend on the',
                '# network manager.',
                'DefaultDependencies=no',
                'After=systemd-modules-load.service systemd-sysctl.service local-fs.target' + after,
                'Before=network-pre.target shutdown.target' + before,
                'Wants=network-pre.target',
                'Conflicts=shutdown.target']
    else:
        out += ['# After the network manager has configured the interfaces (systemd-networkd drops addresses',
                '# and routes it did not configure when it sets a link up), before anything waits for the network.',
                'After=network.target systemd-networkd.service NetworkManager.service' + after,
                'Before=network-online.target' + before,
                'Wants=network.target']
    out += ['', '[Service]', 'Type=oneshot', 'RemainAfterExit=yes']
    links = record.get('links') or []
    out += ['ExecStartPre=-%s link add %s type dummy' % (IP_BIN, link['name']) for link in links if link['kind'] == 'dummy']
    created = set(link['name'] for link in links) | set(['lo'])
    devs = []
    for item in (record.get('addresses') or []) + (record.get('routes') or []):
        if item['dev'] not in created and item['dev'] not in devs:
            devs.append(item['dev'])
    if unit['boot'] != 'early' and devs:
        out += ['# With systemd-networkd, wait until it has configured the interfaces (it drops foreign',
                '# configuration when it configures a link); other network managers: no wait.',
                "ExecStartPre=-/bin/sh -c 'if systemctl -q is-active systemd-networkd.service; then exec "
                '/usr/lib/systemd/systemd-networkd-wait-online --timeout=60%s; fi\''
                % ''.join(' --interface=%s:carrier' % d for d in devs)]
    out += ['ExecStart=%s -force -batch %s' % (IP_BIN, paths['ip_file']),
            'Restart=on-failure', 'RestartSec=2', '', '[Install]', 'WantedBy=multi-user.target']
    return _lines(*out)


def wanted_files(owner, header, record, previous, paths, unit):
    """path -> content for every file the owner keeps (state present).

    The sysctl.d and modules-load.d files exist only while there is (or was) something to
    list, so a role that never sets a sysctl leaves no empty file behind.
    """
    files = {paths['ip_file']: ip_file(owner, header, record, paths),
             paths['unit_file']: unit_file(owner, header, record, paths, unit)}
    if record.get('sysctl') or previous.get('sysctl'):
        files[paths['sysctl_file']] = sysctl_file(owner, header, record)
    if record.get('modules') or previous.get('modules'):
        files[paths['modules_file']] = modules_file(header, record)
    return files


# The director's boot-time IPVS restore (the table itself is saved by lvs.cluster.ipvs).
IPVS_RULES = '/etc/lvs-cluster/ipvs.rules'
IPVS_UNIT = 'lvs-cluster-ipvs.service'
IPVS_UNIT_FILE = '/etc/systemd/system/' + IPVS_UNIT
IPVSADM_BIN = '/usr/sbin/ipvsadm'
# Debian's own ipvsadm init script restores /etc/ipvsadm.rules at boot unless AUTO is false.
DEBIAN_IPVSADM_DEFAULT = '/etc/default/ipvsadm'


def ipvs_unit_file(header, timeouts):
    """The unit that restores the saved IPVS table at boot, before networking and keepalived."""
    out = [header.rstrip('\n'), '[Unit]',
           'Description=lvs.cluster director: restore the IPVS table',
           'Documentation=file:' + IPVS_RULES,
           '# The table must exist before the VIPs receive traffic: right after the ip_vs modules are',
           '# loaded, before any network configuration and before keepalived takes over.',
           'DefaultDependencies=no',
           'After=systemd-modules-load.service local-fs.target',
           'Before=network-pre.target keepalived.service shutdown.target',
           'Wants=network-pre.target',
           'Conflicts=shutdown.target',
           'ConditionPathExists=' + IPVS_RULES,
           '', '[Service]', 'Type=oneshot', 'RemainAfterExit=yes',
           'ExecStart=%s -R' % IPVSADM_BIN,
           'StandardInput=file:' + IPVS_RULES]
    if timeouts:
        out += ['# 0 leaves a timeout unchanged.',
                'ExecStart=%s --set %s %s %s' % (IPVSADM_BIN, timeouts.get('tcp') or 0, timeouts.get('tcpfin') or 0,
                                                 timeouts.get('udp') or 0)]
    out += ['', '[Install]', 'WantedBy=multi-user.target']
    return _lines(*out)


def debian_default_auto_off(text):
    """/etc/default/ipvsadm with ``AUTO="false"`` (the last AUTO= line replaced, or one appended),
    so only the director's own unit restores the table at boot."""
    lines = text.splitlines(True)
    hits = [i for i, line in enumerate(lines) if line.startswith('AUTO=')]
    if hits:
        lines[hits[-1]] = 'AUTO="false"\n'
    else:
        if lines and not lines[-1].endswith('\n'):
            lines[-1] += '\n'
        lines.append('AUTO="false"\n')
    return ''.join(lines)
