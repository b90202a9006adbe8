#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: keepalived
short_description: keepalived's VRRP instance, IPVS sync daemon and health checkers on a director, applied by reload
description:
  - Renders C(/etc/keepalived/keepalived.conf) from the director's view (the C(keepalived) part
    of the view the C(lvs.cluster.validate) model computes) - one VRRP instance per director
    group carrying the group's VIPs and NAT DIP, unicast peers, C(lvs_sync_daemon) following
    the instance, and one C(virtual_server) per health-checked service plus one fwmark probe
    service per real server checked through the forwarding path.
  - A new config is staged next to the live one and tested with C(keepalived -t); a config
    keepalived rejects never replaces the running one, and the task fails with keepalived's
    message.
  - Takes effect by C(systemctl reload keepalived) (SIGHUP), never a restart, so a change does
    not cause a VRRP transition; keepalived is started and enabled when it is not running.
  - After a reload the module polls the IPVS table until the services keepalived owns match
    the plan (a real server may be absent only because its check fails) and fails when they do
    not within O(settle_timeout).
  - In check mode it predicts the config diff and the IPVS commands the reload will make.
  - Never emits C(vrrp_strict), whose filter drops VIP traffic before IPVS sees it.
  - In a director group with health-checked DR or TUN services it also installs
    C(lvs-cluster-alive) next to the config, a VRRP track script that takes 253 off the
    priority while none of those services has a live real server on this director (its own
    checks failed, as when its link is cut), so that a director coming back from isolation
    cannot win the election with empty services.
  - On a director of a group it also installs a systemd drop-in (O(unit_dropin)) that holds
    keepalived's start until its unicast source address is usable (at most 60 s), because
    keepalived that starts before the address exists stays in VRRP FAULT for good
    (acassen/keepalived#1847), as on a director whose network comes up late after a boot.
    A changed drop-in is loaded by C(systemctl daemon-reload), with no keepalived restart.
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) renders, tests and applies the config.
      - V(absent) stops and disables keepalived and removes the config when this module wrote it
        (keepalived then removes the IPVS services its checker added); a config it did not write is
        left alone, with keepalived running.
    type: str
    choices: [present, absent]
    default: present
  view:
    description:
      - The C(keepalived) part of the director's host view (C(vrrp), C(virtual_servers), C(probes)).
        Required with O(state=present).
    type: dict
  router_id:
    description: keepalived's C(router_id); normally the inventory host name.
    type: str
    required: true
  drain:
    description:
      - Addresses of real servers to drain in every health-checked service (weight 0), on top of
        the view. keepalived reverts a weight set from outside, so a drain of a keepalived-owned
        service goes through its config; the file then keeps the drain across a reboot.
      - Used by C(playbooks/drain.yml); an empty list applies the declared weights.
    type: list
    elements: str
    default: []
  drain_remove:
    description: Leave the O(drain) real servers out instead of setting their weight to 0.
    type: bool
    default: false
  header:
    description: Text put at the top of the config (the C(ansible_managed) comment).
    type: str
    default: ''
  path:
    description: The config keepalived reads.
    type: path
    default: /etc/keepalived/keepalived.conf
  settle_timeout:
    description: Seconds to wait after a reload for the IPVS table to match the plan.
    type: float
    default: 15
  unit_dropin:
    description:
      - The systemd drop-in for C(keepalived.service) written on a director of a group (and
        removed with O(state=absent)).
    type: path
    default: /etc/systemd/system/keepalived.service.d/lvs-cluster.conf
  keepalived_path:
    description: Path of the keepalived binary; found in the system path when not given.
    type: path
  ipvsadm_path:
    description: Path of ipvsadm (reads the table); found in the system path when not given.
    type: path
attributes:
  check_mode:
    description: Predicts the config diff and the IPVS commands the reload will make; changes nothing.
    support: full
  diff_mode:
    description: The config file, and the keepalived-owned part of the IPVS table in C(ipvsadm -Sn) form.
    support: full
  platform:
    description: Linux directors with keepalived, ipvsadm and systemd.
    platforms: linux
    support: full
notes:
  - keepalived keeps its checker state in memory and does not repair drift in the table; the
    live-table check after each reload reports it.
  - Split brain with unicast peers (the directors cannot reach each other but both still reach
    the segment) - both become master and both answer ARP for the VIPs; clients follow the last
    gratuitous ARP. See docs/roles.md.
seealso:
  - module: lvs.cluster.ipvs
'''

EXAMPLES = r'''
- name: keepalived from the director's view
  lvs.cluster.keepalived:
    view: "{{ director__model.view.director.keepalived }}"
    router_id: "{{ inventory_hostname }}"
'''

RETURN = r'''
config_changed:
  description: Whether the config file changed (or would in check mode).
  returned: always
  type: bool
unit_changed:
  description: Whether the systemd drop-in changed (or would in check mode).
  returned: with O(state=present)
  type: bool
action:
  description: What was done to the service; V(none), V(reload), V(start), V(stop).
  returned: always
  type: str
  sample: reload
ipvs_commands:
  description: The IPVS changes (ipvsadm syntax) the reload makes to the services keepalived owns, as predicted from the live table.
  returned: state is present
  type: list
  elements: str
  sample: ["-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 2"]
realservers_down:
  description: Planned real servers absent from the live table (their check fails).
  returned: state is present
  type: list
  elements: str
drift:
  description: Differences between the live keepalived-owned services and the plan on a run that applied nothing (also warned).
  returned: state is present and nothing was applied
  type: list
  elements: str
sync_daemons_stopped:
  description:
    - The kernel's IPVS sync daemons (V(master), V(backup)) stopped because this director's group
      no longer syncs (O(view) without C(vrrp.sync)). keepalived's reload drops C(lvs_sync_daemon)
      from its config but leaves the kernel's daemons running.
  returned: state is present
  type: list
  elements: str
  sample: [backup]
vips_held:
  description: The group's addresses this director holds after the run (it is the VRRP master when non-empty).
  returned: state is present and the director is in a group
  type: list
  elements: str
'''

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_listing import parse_daemon
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import Runner
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._keepalived_conf import (
    ALIVE_SCRIPT, ALIVE_SCRIPT_PATH, UNIT_DROPIN_PATH, alive_script_needed, render, unit_dropin,
)
from ansible_collections.lvs.cluster.plugins.module_utils._keepalived_plan import (
    mismatches, owned_line, parse_owned, planned_table, predict, restrict, with_drain,
)


class KeepalivedError(Exception):
    def __init__(self, msg, **details):
        super(KeepalivedError, self).__init__(msg)
        self.msg = msg
        self.details = details


def _read(path):
    try:
        with open(to_bytes(path), 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeepalivedError('cannot read %s: %s' % (path, to_native(exc)))


class Host(object):
    """The few system calls the module makes; errors become KeepalivedError."""

    def __init__(self, module, keepalived, ipvsadm):
        self.module = module
        self.keepalived = keepalived
        self.ipvsadm = ipvsadm
        self.runner = Runner(lambda args, data=None: module.run_command(args, data=data, binary_data=True), ipvsadm) \
            if ipvsadm else None

    def run(self, argv, check=True):
        rc, out, err = self.module.run_command(argv)
        if check and rc != 0:
            raise KeepalivedError('%s failed (rc=%d): %s' % (' '.join(argv), rc, (err or out).strip()),
                                  cmd=argv, rc=rc, stdout=out, stderr=err)
        return rc, out, err

    def systemctl(self, *args):
        return self.run(['systemctl'] + list(args), check=False)[0] == 0

    def read_table(self):
        if self.runner is None:
            return Table()
        try:
            return self.runner.read_table()
        except IpvsError as exc:
            raise KeepalivedError('reading the IPVS table: %s' % exc.msg)

    def sync_daemons(self):
        """The states (master, backup) of the kernel's running IPVS sync daemons."""
        if not self.ipvsadm:
            return []
        rc, out, _err = self.run([self.ipvsadm, '-L', '--daemon'], check=False)
        return [d['state'] for d in parse_daemon(out)] if rc == 0 else []

    def held(self, addresses):
        """The group addresses present on this host (ip -o addr)."""
        if not addresses:
            return []
        _rc, out, _err = self.run(['ip', '-o', 'addr', 'show'])
        present = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[2] in ('inet', 'inet6'):
                present.add(fields[3].split('/')[0])
        return [a['address'] for a in addresses if a['address'].split('/')[0] in present]

    def _temp(self, path, prefix, content):
        """``content`` in a temporary file next to ``path`` (removed at exit unless moved)."""
        directory = os.path.dirname(path) or '.'
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=directory)
        self.module.add_cleanup_file(tmp)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(to_bytes(content))
            # On disk before the rename: a director that loses power soon after must not boot
            # with an empty keepalived.conf (ext4 allocates a new file's blocks at writeback).
            handle.flush()
            os.fsync(handle.fileno())
        return tmp

    def write_file(self, path, content):
        """A root-owned 0644 file (a systemd drop-in), replaced atomically."""
        self.module.atomic_move(self._temp(path, '.lvs-cluster.', content), path)
        os.chmod(path, 0o644)

    def write_script(self, path, content):
        """The VRRP track script, root-owned 0755 (keepalived's script security refuses others)."""
        self.module.atomic_move(self._temp(path, '.lvs-cluster-alive.', content), path)
        # After the move: atomic_move gives a new file the default mode (0644 under umask 022).
        os.chmod(path, 0o755)

    def stage_and_test(self, path, content):
        staged = self._temp(path, '.keepalived.conf.lvs-staged.', content)
        os.chmod(staged, 0o640)
        rc, out, err = self.run([self.keepalived, '-t', '-f', staged], check=False)
        # keepalived -t exits non-zero on a config error; its text is on stderr (#955, #2457:
        # the codes have not always matched the docs, so any non-zero status counts).
        if rc != 0:
            raise KeepalivedError('keepalived -t rejected the new config (rc=%d); the running config is '
                                  'unchanged: %s' % (rc, (err or out).strip()), rc=rc, stdout=out, stderr=err)
        return staged


def present(module, host, p):
    view = with_drain(p['view'] or {}, p['drain'], p['drain_remove'])
    planned = planned_table(view)
    content = render(p['router_id'], view, p['header'] + owned_line(planned) + '\n')
    before = _read(p['path'])
    previously = parse_owned(before)
    live = host.read_table()
    delta = predict(live, planned, previously)
    vrrp = view.get('vrrp')
    addresses = (vrrp or {}).get('addresses') or []
    held_before = host.held(addresses)
    script = os.path.join(os.path.dirname(p['path']), os.path.basename(ALIVE_SCRIPT_PATH))
    wants_script = alive_script_needed(view)
    script_changed = wants_script and (_read(script) != ALIVE_SCRIPT or not os.access(script, os.X_OK))
    config_changed = before != content or script_changed
    dropin = unit_dropin(p['header'], vrrp['unicast_src']) if vrrp is not None else None
    dropin_before = _read(p['unit_dropin'])
    # A director that left its group keeps no drop-in of ours.
    stale_dropin = dropin is None and dropin_before is not None and 'lvs.cluster' in dropin_before
    unit_changed = (dropin is not None and dropin_before != dropin) or stale_dropin
    # keepalived starts the kernel's sync daemons but never stops them when lvs_sync_daemon leaves
    # its config (seen on 2.2.7: both kept running after a reload with sync off). A director of a
    # group without sync, or one whose old config of ours synced, runs none.
    unsynced = (vrrp is not None and not vrrp.get('sync')) or (vrrp is None and 'lvs_sync_daemon' in (before or ''))
    stale_sync = host.sync_daemons() if unsynced else []
    active = host.systemctl('is-active', '--quiet', 'keepalived')
    enabled = host.systemctl('is-enabled', '--quiet', 'keepalived')
    result = {'changed': config_changed or unit_changed or not active or not enabled or bool(stale_sync),
              'config_changed': config_changed, 'unit_changed': unit_changed, 'sync_daemons_stopped': stale_sync,
              'action': 'none', 'ipvs_commands': delta.commands, 'realservers_down': mismatches(live, planned)[1]}
    if vrrp is not None:
        result['vips_held'] = held_before
    if module._diff:
        scope = set(planned.services) | previously
        result['diff'] = [
            {'before': before or '', 'after': content, 'before_header': p['path'], 'after_header': p['path']},
            {'before': restrict(live, scope).render(), 'after': planned.render(),
             'before_header': 'ipvsadm -Sn (live, keepalived-owned)',
             'after_header': 'ipvsadm -Sn (planned, every checked real server up)'}]
        if unit_changed:
            result['diff'].append({'before': dropin_before or '', 'after': dropin or '',
                                   'before_header': p['unit_dropin'], 'after_header': p['unit_dropin']})
    if module.check_mode:
        if config_changed or not active:
            result['action'] = 'reload' if active else 'start'
        return result
    if unit_changed:
        # Before a start: the drop-in must be in effect the first time keepalived starts.
        if stale_dropin:
            os.unlink(p['unit_dropin'])
        else:
            host.write_file(p['unit_dropin'], dropin)
        host.run(['systemctl', 'daemon-reload'])
    if script_changed:
        # Before the config test: keepalived -t fails on a config naming a missing script.
        host.write_script(script, ALIVE_SCRIPT)
    if config_changed:
        staged = host.stage_and_test(p['path'], content)
        module.atomic_move(staged, p['path'])
    if not active:
        host.run(['systemctl', 'start', 'keepalived'])
        result['action'] = 'start'
    elif config_changed:
        host.run(['systemctl', 'reload', 'keepalived'])
        result['action'] = 'reload'
    if not enabled:
        host.run(['systemctl', 'enable', 'keepalived'])
    # After the reload: the old config would start them again on a VRRP transition.
    for state in stale_sync:
        host.run([host.ipvsadm, '--stop-daemon', state])
    if result['action'] != 'none':
        problems, down = settle(host, planned, p['settle_timeout'])
        if problems:
            raise KeepalivedError('after the %s the IPVS services keepalived owns do not match the plan within '
                                  '%s s: %s' % (result['action'], p['settle_timeout'], '; '.join(problems)),
                                  ipvs_commands=delta.commands)
    else:
        # Nothing applied: keepalived does not repair drift (keepalived #1877), so report it
        # instead of failing every later run; a config change or restart rebuilds the table.
        problems, down = mismatches(live, planned)
        for problem in problems:
            module.warn('IPVS drift in a keepalived-owned service (keepalived does not repair it; '
                        'restart keepalived on this director to rebuild): %s' % problem)
        result['drift'] = problems
    result['realservers_down'] = down
    if vrrp is not None:
        result['vips_held'] = host.held(addresses)
    return result


def settle(host, planned, timeout):
    deadline = time.time() + timeout
    while True:
        problems, down = mismatches(host.read_table(), planned)
        if not problems or time.time() >= deadline:
            return problems, down
        time.sleep(0.2)


def absent(module, host, p):
    before = _read(p['path'])
    # Only a config this collection wrote: keepalived may serve something else on this host.
    ours = before is not None and 'lvs.cluster' in before
    result = {'changed': ours, 'config_changed': ours, 'action': 'none'}
    if not ours:
        return result
    active = host.systemctl('is-active', '--quiet', 'keepalived')
    if module._diff:
        result['diff'] = {'before': before, 'after': '', 'before_header': p['path'], 'after_header': p['path'] + ' (removed)'}
    if module.check_mode:
        result['action'] = 'stop' if active else 'none'
        return result
    if active:
        host.run(['systemctl', 'stop', 'keepalived'])
        result['action'] = 'stop'
    host.systemctl('disable', 'keepalived')
    os.unlink(p['path'])
    if os.path.exists(p['unit_dropin']):
        os.unlink(p['unit_dropin'])
        host.run(['systemctl', 'daemon-reload'])
    script = os.path.join(os.path.dirname(p['path']), os.path.basename(ALIVE_SCRIPT_PATH))
    if os.path.exists(script):
        os.unlink(script)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            view=dict(type='dict'),
            router_id=dict(type='str', required=True),
            drain=dict(type='list', elements='str', default=[]),
            drain_remove=dict(type='bool', default=False),
            header=dict(type='str', default=''),
            path=dict(type='path', default='/etc/keepalived/keepalived.conf'),
            unit_dropin=dict(type='path', default=UNIT_DROPIN_PATH),
            settle_timeout=dict(type='float', default=15),
            keepalived_path=dict(type='path'),
            ipvsadm_path=dict(type='path'),
        ),
        required_if=[('state', 'present', ['view'])],
        supports_check_mode=True,
    )
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    p = module.params
    try:
        if p['state'] == 'absent':
            host = Host(module, None, None)
            module.exit_json(**absent(module, host, p))
        # In check mode on a host that has neither yet, predict from an empty table.
        keepalived = p['keepalived_path'] or module.get_bin_path('keepalived', required=not module.check_mode)
        ipvsadm = p['ipvsadm_path'] or module.get_bin_path('ipvsadm', required=not module.check_mode)
        module.exit_json(**present(module, Host(module, keepalived, ipvsadm), p))
    except (KeepalivedError, IpvsError) as exc:
        module.fail_json(msg=exc.msg, **getattr(exc, 'details', {}))


if __name__ == '__main__':
    main()
