#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: host_net
short_description: Links, addresses, routes, sysctls and kernel modules of one lvs.cluster role, as an exact live delta
description:
  - The host side of the C(director), C(dr_realserver), C(tun_realserver) and C(nat_realserver) roles,
    in one run. From the host's view of the LVS model (what C(lvs.cluster.validate) returns) and the
    role's settings it computes what the role wants on the host (VIPs and on which device, tunnels, the
    NAT return routes via the DIP, the ARP, rp_filter, forwarding and IPVS sysctls, the kernel modules).
  - Reads the live links and addresses (C(ip -j addr)), the routes and sysctls it manages, and the record
    the same O(owner) stored on its previous run.
  - Runs the live pre-flight checks (the data-plane address is configured, named interfaces exist,
    kernel modules can be loaded, DR real servers are on-link from the director, the NAT DIP is on-link
    and the new routes do not cut the management connection off) and fails with every finding, each
    naming host, service and rule id, before it changes anything.
  - Applies only the difference, sysctls before addresses (a DR VIP is never ARP-visible), with one
    C(sysctl -w), one C(ip -batch) and one C(sysctl -w) restoring what is no longer wanted. A converged
    host runs no writing command.
  - Persists the result in C(/etc/lvs-cluster/OWNER.ip) (an C(ip -batch) file whose state line is the
    record), C(/etc/sysctl.d/60-lvs-cluster-OWNER.conf), C(/etc/modules-load.d/lvs-cluster-OWNER.conf) and
    the boot-time unit C(lvs-cluster-OWNER.service), which it enables.
  - For the director also the unit C(lvs-cluster-ipvs.service) that restores the IPVS table saved in
    C(/etc/lvs-cluster/ipvs.rules) (by M(lvs.cluster.ipvs) O(lvs.cluster.ipvs#module:save)) at boot,
    before networking and keepalived, and C(AUTO="false") in Debian's C(/etc/default/ipvsadm) when it
    exists, so only one restorer runs at boot.
  - Removes only what the owner recorded earlier and no longer declares, and restores a removed sysctl to
    the value it had before the owner first changed it.
version_added: 0.2.0
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  owner:
    description:
      - The role whose part of the host this is. Names the record, the files and the unit, and selects
        the part of O(view) that applies.
    type: str
    required: true
    choices: [director, dr_realserver, tun_realserver, nat_realserver]
  state:
    description:
      - V(present) applies and persists what the view declares.
      - V(absent) removes everything the owner recorded, then disables the unit and removes the files.
    type: str
    choices: [present, absent]
    default: present
  prune:
    description:
      - Remove what the previous run recorded and the view no longer declares. With V(false) it stays
        (and stays recorded), so a later run can still remove it.
    type: bool
    default: true
  view:
    description:
      - This host's view of the LVS model, the element of RV(lvs.cluster.validate#module:host_views)
        for this host (keys C(host), C(address), C(director), C(dr_realserver), C(tun_realserver),
        C(nat_realserver); see the inventory contract).
      - Required with O(state=present). A null part for O(owner) means the host serves nothing in that
        role, so everything the owner recorded is removed (with O(prune)).
    type: dict
  vip_device:
    description: dr_realserver - device holding the VIPs; V(lo) or a dummy device the module creates.
    type: str
    default: lo
  interface:
    description:
      - Real servers - the data-plane interface (ARP sysctls, NAT route device). Empty - the interface
        holding the host's C(lvs_address).
    type: str
    default: ''
  arp_ignore:
    description: dr_realserver, tun_realserver - C(arp_ignore) on C(all) and the data interface (IPv4 VIPs only).
    type: int
    default: 1
  arp_announce:
    description: dr_realserver, tun_realserver - C(arp_announce) on C(all) and the data interface (IPv4 VIPs only).
    type: int
    default: 2
  rp_filter:
    description: tun_realserver - C(rp_filter) on C(all) and C(tunl0).
    type: int
    default: 0
  tunl0_mtu:
    description: tun_realserver - MTU of C(tunl0).
    type: int
    default: 1480
  ip6tnl0_mtu:
    description: tun_realserver - MTU of C(ip6tnl0).
    type: int
    default: 1460
  client_networks:
    description: nat_realserver - networks routed via the DIP; empty - a default route via the DIP.
    type: list
    elements: str
    default: []
  route_metric:
    description: nat_realserver - metric of the routes via the DIP.
    type: int
    default: 10
  check_management_path:
    description:
      - nat_realserver - fail when a route via the DIP would take precedence over the route of the
        management connection (the peer in C(SSH_CLIENT)).
    type: bool
    default: true
  manage_vips:
    description: director - put the VIPs on the VIP interface (V(false) leaves them to keepalived).
    type: bool
    default: true
  conn_reuse_mode:
    description: director - C(net.ipv4.vs.conn_reuse_mode).
    type: int
    default: 1
  expire_nodest_conn:
    description: director - C(net.ipv4.vs.expire_nodest_conn).
    type: int
    default: 1
  expire_quiescent_template:
    description: director - C(net.ipv4.vs.expire_quiescent_template).
    type: int
    default: 1
  extra_sysctls:
    description:
      - director - more sysctls the director owns (applied now, persisted in its C(sysctl.d) file and
        restored to their earlier value when dropped), for example the HA settings
        C(net.ipv4.vs.sloppy_tcp) and C(net.ipv4.vs.sync_*) the director role sets in a director group.
      - The view's C(keepalived.checker_sysctls) (C(accept_local) on the VIP interface for checks
        through the forwarding path) are added to these.
    type: dict
    default: {}
  ipvs_timeouts:
    description:
      - director - IPVS timeouts (seconds; 0 or absent leaves one unchanged) the boot-time IPVS restore
        unit sets after restoring the table.
    type: dict
    suboptions:
      tcp:
        description: Established TCP connections.
        type: int
      tcpfin:
        description: TCP connections after a FIN.
        type: int
      udp:
        description: UDP.
        type: int
  header:
    description: Comment block at the top of every file, such as C(ansible_managed) as a comment.
    type: str
    default: "#\n# Ansible managed\n#\n"
attributes:
  check_mode:
    description: Reads and checks everything, predicts every command and file change, changes nothing.
    support: full
  diff_mode:
    description: Each file before and after, and the commands that reconcile the live host.
    support: full
  platform:
    description: Linux with iproute2 and systemd.
    platforms: linux
    support: full
notes:
  - Used by the collection's roles; it has no meaning outside the LVS model of C(lvs.cluster.validate).
seealso:
  - module: lvs.cluster.validate
  - module: lvs.cluster.ipvs
'''

EXAMPLES = r'''
- name: Configure this host as a DR real server
  lvs.cluster.host_net:
    owner: dr_realserver
    view: "{{ hostvars['localhost'].lvs_cluster_model.host_views[inventory_hostname] }}"
    vip_device: lo

- name: Decommission the NAT real server part of this host
  lvs.cluster.host_net:
    owner: nat_realserver
    state: absent
'''

RETURN = r'''
commands:
  description: The commands run (or, in check mode, that would run) to reconcile the live host, in order.
  returned: always
  type: list
  elements: str
  sample: ["sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2", "ip -batch - <<< addr replace 192.0.2.10/32 dev lo"]
files:
  description: The files written or removed (or that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/lvs-cluster/dr_realserver.ip]
record:
  description: What the owner manages after this run (stored in the state line of its ip batch file).
  returned: always
  type: dict
  sample: {links: [], addresses: [{dev: lo, address: 192.0.2.10/32, flags: ''}], routes: [], sysctl: {}, sysctl_original: {}, modules: []}
previous:
  description: The record of the previous run (empty on a new host). The director role reads C(ipvs_scope) from it to decommission.
  returned: always
  type: dict
  sample: {}
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._host_desired import (
    OWNERS,
    RECORD_DIR,
    desired,
    empty_view,
    ipvs_scope,
    paths,
    unit_settings,
)
from ansible_collections.lvs.cluster.plugins.module_utils._host_files import (
    DEBIAN_IPVSADM_DEFAULT,
    IPVS_RULES,
    IPVS_UNIT,
    IPVS_UNIT_FILE,
    debian_default_auto_off,
    ipvs_unit_file,
    wanted_files,
)
from ansible_collections.lvs.cluster.plugins.module_utils._host_preflight import findings, probes
from ansible_collections.lvs.cluster.plugins.module_utils._net_delta import compute, parse_state, route_families

SETTINGS = dict(
    vip_device=dict(type='str', default='lo'),
    interface=dict(type='str', default=''),
    arp_ignore=dict(type='int', default=1),
    arp_announce=dict(type='int', default=2),
    rp_filter=dict(type='int', default=0),
    tunl0_mtu=dict(type='int', default=1480),
    ip6tnl0_mtu=dict(type='int', default=1460),
    client_networks=dict(type='list', elements='str', default=[]),
    route_metric=dict(type='int', default=10),
    check_management_path=dict(type='bool', default=True),
    manage_vips=dict(type='bool', default=True),
    conn_reuse_mode=dict(type='int', default=1),
    expire_nodest_conn=dict(type='int', default=1),
    expire_quiescent_template=dict(type='int', default=1),
    extra_sysctls=dict(type='dict', default={}),
)


class HostNetError(Exception):
    def __init__(self, msg, **details):
        super(HostNetError, self).__init__(msg)
        self.msg = msg
        self.details = details


class Host(object):
    """The module's only contact with the host: commands and files."""

    def __init__(self, module):
        self.module = module
        self.commands = []

    def read(self, argv):
        rc, out, err = self.module.run_command(argv)
        return rc, out, err

    def read_json(self, argv):
        rc, out, err = self.read(argv)
        if rc != 0:
            raise HostNetError('%s failed (rc %d): %s' % (' '.join(argv), rc, err.strip()))
        try:
            return self.module.from_json(out or '[]')
        except ValueError:
            raise HostNetError('%s printed no JSON: %r' % (' '.join(argv), out[:200]))

    def change(self, argv, data=None, shown=None):
        """Run a writing command (only outside check mode); record it either way."""
        self.commands.append(shown or ' '.join(argv))
        if self.module.check_mode:
            return
        rc, out, err = self.module.run_command(argv, data=data, binary_data=data is not None)
        if rc != 0:
            raise HostNetError('%s failed (rc %d): %s' % (shown or ' '.join(argv), rc, (err or out).strip()),
                               commands=self.commands)

    def file_text(self, path):
        try:
            with open(path) as handle:
                return handle.read()
        except (IOError, OSError):
            return None

    def write(self, path, content, mode=0o644):
        if self.module.check_mode:
            return
        if mode is None:  # keep the mode of the file it replaces
            mode = os.stat(path).st_mode & 0o7777
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix='.lvs-cluster-')
        with os.fdopen(fd, 'w') as handle:
            handle.write(content)
            # On disk before the rename: ext4 allocates a new file's blocks only at writeback,
            # so a power cut in the next ~30 s would leave the boot-time file empty.
            handle.flush()
            os.fsync(handle.fileno())
        self.module.atomic_move(tmp, path)
        # atomic_move keeps the mode of a file it replaces: set the wanted one (0644 as in 0.1,
        # or the replaced file's own).
        os.chmod(path, mode)

    def remove(self, path):
        if not self.module.check_mode and os.path.lexists(path):
            os.unlink(path)


def _read_live(host, owner, view, settings, want_present):
    """ip -j addr, the previous record, and the pre-flight answers."""
    ip_addr = host.read_json(['ip', '-j', 'addr', 'show'])
    previous = parse_state(host.file_text(paths(owner)['ip_file']) or '')
    answers = {'modprobe': {}, 'route_get': {}, 'management_peer': '', 'management_routes': None}
    if not want_present:
        return ip_addr, previous, answers
    asked = probes(owner, view, settings, ip_addr)
    for name in asked['modules']:
        rc, dummy, err = host.read(['modprobe', '--dry-run', name])
        answers['modprobe'][name] = {'rc': rc, 'stderr': err}
    for address in asked['route_get']:
        rc, out, err = host.read(['ip', '-j', 'route', 'get', address])
        routes = None
        if rc == 0:
            try:
                routes = host.module.from_json(out or '[]')
            except ValueError:
                rc, err = 1, 'unreadable answer: %r' % out[:200]
        answers['route_get'][address] = {'rc': rc, 'routes': routes, 'stderr': err}
    if asked['management']:
        peer = (os.environ.get('SSH_CLIENT') or '').split(' ')[0]
        answers['management_peer'] = peer
        if peer:
            rc, out, dummy = host.read(['ip', '-6' if ':' in peer else '-4', '-j', 'route', 'show', 'table', 'main',
                                        'match', peer])
            if rc == 0:
                try:
                    answers['management_routes'] = host.module.from_json(out or '[]')
                except ValueError:
                    raise HostNetError('ip route show match %s printed no JSON: %r' % (peer, out[:200]))
    return ip_addr, previous, answers


def _apply_delta(host, delta):
    for name in delta['load_modules']:
        host.change(['modprobe', name])
    if delta['set_sysctl']:
        host.change(['sysctl', '-w'] + delta['set_sysctl'])
    if delta['lines']:
        text = '\n'.join(delta['lines']) + '\n'
        host.change(['ip', '-batch', '-'], data=text, shown='ip -batch - <<< ' + '; '.join(delta['lines']))
    if delta['restore_sysctl']:
        host.change(['sysctl', '-w'] + delta['restore_sysctl'])


def _systemctl(host, verb, unit, missing_ok=False):
    """Enable/disable/daemon-reload; a unit systemd does not know is fine when removing it."""
    argv = ['systemctl', verb] + ([unit] if unit else [])
    host.commands.append(' '.join(argv))
    if host.module.check_mode:
        return
    rc, out, err = host.module.run_command(argv)
    if rc != 0 and not (missing_ok and ('not found' in err or 'does not exist' in err or 'No such file' in err)):
        raise HostNetError('%s failed (rc %d): %s' % (' '.join(argv), rc, (err or out).strip()), commands=host.commands)


def run(module):
    p = module.params
    owner, present = p['owner'], p['state'] == 'present'
    settings = dict((key, p[key]) for key in SETTINGS)
    full_view = p['view'] or {}
    if present and not p['view']:
        raise HostNetError('state=present needs view: the host view of the LVS model (lvs.cluster.validate)')
    view = (full_view.get(owner) if present else None) or empty_view(owner)
    address = (full_view.get('address') if present else None) or ''
    host_name = full_view.get('host') or 'this host'
    where = paths(owner)
    host = Host(module)

    ip_addr, previous, answers = _read_live(host, owner, view, settings, present)
    want = desired(owner, view, settings, address, ip_addr, present)
    if present:
        errors = findings(owner, host_name, view, settings, address, ip_addr, desired_routes=want['routes'], **answers)
        if errors:
            raise HostNetError('\n'.join(errors), preflight=errors)

    ip_routes = [host.read_json(['ip', family, '-j', 'route', 'show', 'table', 'main'])
                 for family in route_families(want['routes'], previous)]
    keys = list(want['sysctl']) + [k for k in previous.get('sysctl') or {} if k not in want['sysctl']]
    sysctl_lines = host.read(['sysctl', '-e'] + keys)[1].splitlines() if keys else []
    delta = compute(want, previous, ip_addr, ip_routes, sysctl_lines, prune=(not present) or p['prune'])
    record = dict(delta['record'])
    if owner == 'director':
        record['ipvs_scope'] = ipvs_scope(view) if present else []

    _apply_delta(host, delta)

    # Files and the boot unit.
    diffs, files = [], []
    units = [(where['unit'], where['unit_file'])]
    if owner == 'director':
        units.append((IPVS_UNIT, IPVS_UNIT_FILE))
    if present:
        if not os.path.isdir(RECORD_DIR):
            host.commands.append('mkdir -m 0755 ' + RECORD_DIR)
        wanted = wanted_files(owner, p['header'], record, previous, where, unit_settings(owner, settings))
        modes = {}
        if owner == 'director':
            # The argument spec fills unset suboptions with None: only the ones given count.
            timeouts = dict((k, v) for k, v in (p['ipvs_timeouts'] or {}).items() if v is not None)
            wanted[IPVS_UNIT_FILE] = ipvs_unit_file(p['header'], timeouts)
            debian_default = host.file_text(DEBIAN_IPVSADM_DEFAULT)
            if debian_default is not None:
                wanted[DEBIAN_IPVSADM_DEFAULT] = debian_default_auto_off(debian_default)
                modes[DEBIAN_IPVSADM_DEFAULT] = None
        for path, content in sorted(wanted.items()):
            before = host.file_text(path)
            if before != content:
                files.append(path)
                diffs.append({'before_header': path, 'after_header': path, 'before': before or '', 'after': content})
                host.write(path, content, modes.get(path, 0o644))
        if any(unit_file in files for dummy, unit_file in units):
            _systemctl(host, 'daemon-reload', None)
        for unit, unit_file in units:
            if unit_file in files or not previous:
                _systemctl(host, 'enable', unit)
    else:
        for unit, unit_file in units:
            if os.path.exists(unit_file):
                _systemctl(host, 'disable', unit, missing_ok=True)
        removed = [where['unit_file'], where['ip_file'], where['sysctl_file'], where['modules_file']]
        if owner == 'director':
            removed += [IPVS_UNIT_FILE, IPVS_RULES]
        for path in removed:
            before = host.file_text(path)
            if before is not None:
                files.append(path)
                diffs.append({'before_header': path, 'after_header': path, 'before': before, 'after': ''})
                host.remove(path)
        if any(unit_file in files for dummy, unit_file in units):
            _systemctl(host, 'daemon-reload', None)

    changed = bool(host.commands or files)
    result = dict(changed=changed, commands=host.commands, files=files, record=record, previous=previous)
    if module._diff:
        if host.commands:
            diffs.insert(0, {'before_header': 'live host', 'after_header': 'commands that reconcile it',
                             'before': '', 'after': ''.join(c + '\n' for c in host.commands)})
        result['diff'] = diffs
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            owner=dict(type='str', required=True, choices=list(OWNERS)),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            prune=dict(type='bool', default=True),
            view=dict(type='dict'),
            header=dict(type='str', default='#\n# Ansible managed\n#\n'),
            ipvs_timeouts=dict(type='dict', options=dict(tcp=dict(type='int'), tcpfin=dict(type='int'),
                                                         udp=dict(type='int'))),
            **SETTINGS
        ),
        supports_check_mode=True,
    )
    # iproute2 and sysctl output is parsed; keep it in the C locale.
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    try:
        result = run(module)
    except HostNetError as exc:
        module.fail_json(msg=exc.msg, **exc.details)
    except (IOError, OSError) as exc:
        # A file the module reads or writes (the record, the unit, sysctl.d ...).
        module.fail_json(msg='host_net: %s' % exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
