#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs
short_description: Declare the whole IPVS table of a Linux Virtual Server director
description:
  - Declares the IPVS virtual services of a director (scheduler, persistence, fwmark,
    scheduler flags) with their real servers (forwarding method, port, weight,
    thresholds) and the IPVS connection timeouts.
  - Reads the live table, computes the exact delta and applies it as one ordered batch.
    By default (O(backend=auto)) it talks to the kernel's IPVS generic netlink family
    directly, from Python's standard library - one socket for the reads and the batch, no
    process started; C(ipvsadm) is the fallback and a selectable backend
    (C(ipvsadm -Sn) to read, one C(ipvsadm -R) process to apply).
  - With netlink, the real servers of every service are taken from one read of
    C(/proc/net/ip_vs) (the kernel's own listing, same network namespace) instead of one
    netlink dump per service, except where that file cannot show everything - tunnel
    types and ports, thresholds, an IPv4 and an IPv6 service on the same fwmark - and
    for those services, or if the file cannot be read or parsed, the dumps are used.
  - A run with nothing to change sends nothing to the kernel (no writing request, no
    writing process).
  - The batch is ordered so that traffic never reaches a real server before its
    service exists with its final attributes - new and edited services first, then
    weight decreases, removals of real servers and services, then additions of real
    servers, then weight increases, then timeouts.
  - Authoritative by default - live services that are not declared are removed, unless
    O(purge=false) or O(purge_scope) limits what may be removed. Real servers of a
    declared service that are not declared are always removed.
  - If the batch fails, the module re-reads the live table, applies the inverse delta
    back to the table it read at the start (flushing and reloading it as a last
    resort) and fails with the command, rc, stderr and the outcome of that restore.
    With netlink, stderr names each refused rule line (in C(ipvsadm) form) with the
    kernel's errno text, and nothing after the first refused request's window is sent.
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  services:
    description:
      - The complete list of virtual services. An empty list with O(purge=true) and no
        O(purge_scope) removes every service.
      - Options set to V(null) (or an empty string or list) are treated as not set.
      - Exactly one of O(services) and O(rules) is required.
      - Ansible hands a list of dicts to the module at a cost that grows with every dict;
        at 10,000 services x 4 real servers a no-op task took 25-34 s on the lab's
        director, against 6-7 s with the same table as O(rules) text. The director role
        passes O(rules).
    type: list
    elements: dict
    suboptions:
      protocol:
        description:
          - Protocol of an address service. Ignored for fwmark services.
          - One of V(tcp), V(udp) or V(sctp); defaults to V(tcp) (also when V(null)).
        type: str
      address:
        description:
          - Virtual IP address (IPv4 or IPv6) of the service. Host names are refused.
          - Mutually exclusive with O(services[].fwmark).
        type: str
      port:
        description:
          - Virtual port. V(0) means any port and requires
            O(services[].persistence_timeout).
        type: int
      fwmark:
        description:
          - Firewall mark of a fwmark service, instead of O(services[].address) and
            O(services[].port).
        type: int
      family:
        description:
          - Address family of a fwmark service. Taken from the address for address
            services.
          - V(inet) or V(inet6). Defaults to V(inet6) when every real server of the
            fwmark service is IPv6, else V(inet).
        type: str
      scheduler:
        description:
          - IPVS scheduler (V(rr), V(wrr), V(lc), V(wlc), V(sh), V(mh), ...).
        type: str
        default: wlc
      persistence_timeout:
        description:
          - Persistence timeout in seconds; unset or V(0) means not persistent.
        type: int
      persistence_netmask:
        description:
          - Persistence granularity, as a dotted IPv4 netmask, or a prefix length.
        type: str
      persistence_engine:
        description:
          - Alternative persistence engine (C(ipvsadm --pe)), for example V(sip).
        type: str
      one_packet:
        description:
          - One-packet scheduling (C(ipvsadm -o)); UDP or fwmark services only.
          - Defaults to V(false).
        type: bool
      scheduler_flags:
        description:
          - Scheduler flags, for example V(sh-fallback), V(sh-port), V(mh-port),
            V(flag-1).
        type: list
        elements: str
      realservers:
        description:
          - The complete list of real servers of this service.
        type: list
        elements: dict
        suboptions:
          address:
            description:
              - Real server IP address.
            type: str
            required: true
          port:
            description:
              - Real server port. Defaults to the service port (V(0) for fwmark
                services). With O(services[].realservers[].forward=dr) or
                V(tun) it must equal the service port, as ipvsadm enforces.
            type: int
          weight:
            description:
              - Weight; V(0) quiesces the server (no new connections).
            type: int
            default: 1
          forward:
            description:
              - Forwarding method - direct routing (C(-g)), IP tunnelling (C(-i)) or
                NAT (C(-m)).
              - One of V(dr), V(tun) or V(nat); defaults to V(dr) (also when V(null)).
            type: str
          upper_threshold:
            description:
              - Upper connection threshold (C(-x)); unset or V(0) means none.
              - Thresholds are not part of C(ipvsadm -Sn); the live values are read
                with C(ipvsadm -Ln --thresholds) (over netlink, from the per-service
                dumps) only when some declared real server sets one.
              - So a declaration in which no real server sets a threshold above V(0)
                leaves the live thresholds as they are (both backends); once one does,
                every live threshold is compared and the undeclared ones are cleared.
            type: int
          lower_threshold:
            description:
              - Lower connection threshold (C(-y)); unset or V(0) means none.
            type: int
          tun_type:
            description:
              - Tunnel type for O(services[].realservers[].forward=tun) - V(ipip),
                V(gue) or V(gre). Defaults to V(ipip).
            type: str
          tun_port:
            description:
              - Destination port of V(gue) tunnels.
            type: int
          tun_csum:
            description:
              - Tunnel checksum mode of V(gue) and V(gre) tunnels - V(nocsum), V(csum)
                or V(remcsum) (V(gue) only). Defaults to V(nocsum).
            type: str
  rules:
    description:
      - The complete table as ipvsadm rules, one per line, as C(ipvsadm -Sn) prints them
        and C(ipvsadm -R) reads them - C(-A) service lines, each followed by the C(-a)
        lines of its real servers; blank lines and C(#) comments are skipped. A leading
        C(ipvsadm) on a line is ignored, so an existing ipvsadm script's lines can be
        pasted in.
      - Every line passes the checks of O(services), and an error names the line. Rules
        ipvsadm would silently rewrite (a DR or TUN real server's port other than the
        service port) are refused, as are other commands (C(-E), C(-D), C(-C), C(--set)) and
        an option on the wrong kind of line.
      - The same table as O(services), at a fraction of Ansible's cost of passing a large
        list of dicts; the P(lvs.cluster.ipvs_rules#filter) filter renders O(services) as
        this text.
      - Exactly one of O(services) and O(rules) is required. An empty string declares an
        empty table.
    type: str
    version_added: 0.2.0
  purge:
    description:
      - Remove live services that are not declared.
    type: bool
    default: true
  purge_scope:
    description:
      - Limit O(purge) to undeclared services whose virtual address or fwmark is in this
        list, so that other tools can own other services of the same director.
      - Items are IP addresses or fwmark numbers.
    type: list
    elements: raw
  exclude:
    description:
      - Services another writer owns (keepalived's checker, for health-checked services and
        their probes) - never changed, never purged and left out of the O(save) file, since
        their writer restores them. Declaring one of them too is an error (one writer per service).
      - Each item is a service key, V([protocol, address, port]) or V([fwm, family, fwmark])
        with family V(inet) or V(inet6), as the director view's C(keepalived.owned) lists them.
    type: list
    elements: raw
  timeouts:
    description:
      - IPVS connection timeouts in seconds. Only the keys given are managed, and
        C(ipvsadm --set) only runs when one differs.
    type: dict
    suboptions:
      tcp:
        description: Timeout of established TCP connections.
        type: int
      tcpfin:
        description: Timeout of TCP connections after a FIN.
        type: int
      udp:
        description: Timeout of UDP flows.
        type: int
  backend:
    description:
      - How the module talks to IPVS.
      - V(netlink) - the kernel's IPVS generic netlink family, through an C(AF_NETLINK)
        socket (Python standard library only; ipvsadm is not needed). Fails when the
        family does not resolve (no C(ip_vs) in the kernel and none loadable).
      - V(ipvsadm) - the C(ipvsadm) binary (C(-Sn), C(-Ln --thresholds), C(-Ln --timeout),
        one C(-R) per batch).
      - V(auto) - V(netlink) when the IPVS family resolves, else V(ipvsadm). RV(backend)
        says which was used.
      - Both backends compute the same delta, the same diff, the same restore file and
        leave the same table; the commands reported are C(ipvsadm -R) lines either way.
    type: str
    choices: [auto, netlink, ipvsadm]
    default: auto
  ipvsadm_path:
    description:
      - Path of the ipvsadm binary. Found in the system path when not given.
      - Only used with the ipvsadm backend (chosen, or as the fallback of V(auto)).
    type: path
  save:
    description:
      - After the run, write the live table to this file for a boot-time C(ipvsadm -R),
        for example V(/etc/ipvsadm.rules).
      - The content is the output of C(ipvsadm -Sn) with its lines sorted (every C(-A)
        service line before every C(-a) real server line, the order C(ipvsadm -R) needs),
        each ending in a newline, or an empty file for an empty table. C(ipvsadm -Sn) does
        not show thresholds or timeouts, so neither does the file.
      - With the netlink backend the same text is rendered from the table read over
        netlink (in the form ipvsadm 1.31 prints), so the file does not depend on the
        backend and ipvsadm need not be installed to write it.
      - When the table did not change, the read the module made for the delta is reused;
        otherwise the table is read again after the batch.
      - The file is written atomically with mode V(0600), owner and group V(root), and only
        when its content differs; a wrong mode or owner of an existing file is corrected.
      - In check mode with a table change the live table cannot be read yet, so the file
        counts as changing (RV(saved=true)) and the diff shows a prediction from the
        declared table in canonical form.
      - The directory must exist.
    type: path
  return_table:
    description:
      - Return RV(table), the table before the run and the one it converges to, as data.
      - Off by default because it is the whole table twice. At 10,000 services with 4 real
        servers each, building it took longer than reading and diffing the live table, and
        the result is megabytes of JSON shipped to the controller on every run, changed or
        not. The diff (C(--diff)) shows what changed; M(lvs.cluster.ipvs_info) reads the
        live table as data.
    type: bool
    default: false
attributes:
  check_mode:
    description: Computes the delta and returns the commands it would run; runs none.
    support: full
  diff_mode:
    description:
      - Before and after tables in canonical C(ipvsadm -Sn) form.
      - With O(save), a second diff entry shows the file's old and new content.
    support: full
  platform:
    description: Linux directors with IPVS.
    platforms: linux
    support: full
notes:
  - Requires the C(ip_vs) kernel module on the director, and C(ipvsadm) only for the
    ipvsadm backend (chosen, or the fallback of O(backend=auto)).
  - Removing a real server stops scheduling to it at once. To drain, set its weight to
    V(0) in one run and remove it in a later one.
  - Editing a service or real server always passes every attribute, since C(ipvsadm -E)
    and C(-e) reset what is omitted.
seealso:
  - module: lvs.cluster.ipvs_info
'''

EXAMPLES = r'''
- name: Two DR services and a fwmark service, everything else removed
  lvs.cluster.ipvs:
    services:
      - address: 10.0.0.10
        port: 80
        scheduler: wlc
        realservers:
          - address: 10.0.0.11
          - address: 10.0.0.12
            weight: 2
      - protocol: udp
        address: 2001:db8::10
        port: 53
        scheduler: sh
        scheduler_flags: [sh-fallback]
        realservers:
          - address: 2001:db8::11
      - fwmark: 42
        scheduler: rr
        persistence_timeout: 300
        persistence_netmask: 255.255.255.0
        realservers:
          - address: 192.168.10.1
            forward: nat
    timeouts:
      tcp: 900
      tcpfin: 120
      udp: 300

- name: Manage only the services of 10.0.0.20; leave other VIPs to another tool
  lvs.cluster.ipvs:
    purge_scope: [10.0.0.20]
    services:
      - address: 10.0.0.20
        port: 443
        realservers:
          - address: 10.0.0.21
            forward: tun
  check_mode: true
  diff: true
  register: plan

- name: Declare the table and keep a copy for the boot-time ipvsadm -R
  lvs.cluster.ipvs:
    services:
      - address: 10.0.0.10
        port: 80
        realservers:
          - address: 10.0.0.11
    save: /etc/ipvsadm.rules

- name: The same kind of table as ipvsadm rules (pasted from an ipvsadm script or -Sn)
  lvs.cluster.ipvs:
    rules: |
      -A -t 10.0.0.10:80 -s wlc
      -a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1
      -a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 2
      -A -f 42 -s rr -p 300 -M 255.255.255.0
      -a -f 42 -r 192.168.10.1:0 -m -w 1

- name: A large table - render the list once on the controller, pass it as text
  lvs.cluster.ipvs:
    rules: "{{ my_services | lvs.cluster.ipvs_rules }}"

- name: Flush the whole table
  lvs.cluster.ipvs:
    services: []
'''

RETURN = r'''
backend:
  description:
    - The backend the run used, V(netlink) or V(ipvsadm) (see O(backend)).
  returned: success and failure after the backend was chosen
  type: str
  sample: netlink
backend_fallback:
  description:
    - Why O(backend=auto) fell back to ipvsadm - the netlink error of resolving the IPVS
      family.
  returned: when O(backend=auto) used ipvsadm
  type: str
  sample: 'IPVS netlink CTRL_CMD_GETFAMILY IPVS failed: no generic netlink family "IPVS"'
commands:
  description:
    - The C(ipvsadm -R) lines applied (in check mode - that would be applied), in order.
    - With the netlink backend each line is one request on one socket, sent in windows
      of up to 256; the kernel answers every refused request with its errno and
      acknowledges the last of each window, and nothing is sent after a window with a
      refusal.
  returned: always
  type: list
  elements: str
  sample: ["-A -t 10.0.0.10:80 -s wlc", "-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1"]
summary:
  description: Number of commands in each phase of the batch.
  returned: always
  type: dict
  sample: {"add_service": 1, "edit_service": 0, "lower_realserver": 0, "delete_realserver": 0,
           "delete_service": 0, "add_realserver": 1, "raise_realserver": 0, "timeouts": 0}
table:
  description: The table before the run and the table the run converges to, as data.
  returned: when O(return_table=true)
  type: dict
  contains:
    before:
      description: Services read from the director, sorted, in the shape of O(services).
      type: list
      elements: dict
    after:
      description: Services after the run (declared ones plus those left by O(purge_scope)).
      type: list
      elements: dict
  sample: {"before": [], "after": [{"protocol": "tcp", "address": "10.0.0.10", "port": 80,
           "fwmark": null, "family": "inet", "scheduler": "wlc", "persistence_timeout": null,
           "persistence_netmask": null, "persistence_engine": null, "one_packet": false,
           "scheduler_flags": [], "realservers": [{"address": "10.0.0.11", "port": 80,
           "weight": 1, "forward": "dr", "upper_threshold": 0, "lower_threshold": 0,
           "tun_type": null, "tun_port": null, "tun_csum": null}]}]}
saved:
  description:
    - Whether the O(save) file changed (in check mode - would change), in content, mode or
      ownership.
  returned: when O(save) is set
  type: bool
  sample: true
timeouts:
  description: IPVS timeouts before and after the run.
  returned: when O(timeouts) is set
  type: dict
  sample: {"before": {"tcp": 900, "tcpfin": 120, "udp": 300},
           "after": {"tcp": 7200, "tcpfin": 120, "udp": 300}}
restore:
  description:
    - Only in the failure result - what was done to put back the table read at the
      start. Its C(status) is one of V(restored), V(restored_by_flush), V(unchanged)
      or V(failed).
  returned: failure of the batch
  type: dict
  contains:
    status:
      description: Outcome of the restore.
      type: str
      sample: restored
    commands:
      description: Commands run to restore.
      type: list
      elements: str
      sample: ["-D -t 10.0.0.10:80"]
    error:
      description: Why the restore failed, when it did.
      type: str
      returned: when C(status) is V(failed)
'''

import gc
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import (
    table_from_rules, table_from_spec,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import canon_timeouts
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import (
    BACKENDS, converge, select_backend,
)


def save_file(module, path, restore):
    """Write the restore file when it differs; return ``(changed, diff entry)``."""
    content = restore['content']
    b_path = to_bytes(path, errors='surrogate_or_strict')
    try:
        with open(b_path, 'rb') as handle:
            before = handle.read()
    except FileNotFoundError:
        before = None
    except OSError as exc:
        module.fail_json(msg='save: cannot read %s: %s' % (path, to_native(exc)))
    b_content = to_bytes(content, errors='surrogate_or_strict')
    changed = restore['predicted'] or before != b_content
    if changed and not module.check_mode:
        try:
            fd, tmp = tempfile.mkstemp(prefix='.ipvs-save.', dir=os.path.dirname(path) or '.')
            # Removed at exit unless atomic_move has put it in place.
            module.add_cleanup_file(tmp)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(b_content)
                # On disk before the rename: a power cut soon after must not leave the boot
                # restore file empty (ext4 allocates a new file's blocks only at writeback).
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            module.fail_json(msg='save: cannot write %s: %s' % (path, to_native(exc)))
        module.atomic_move(tmp, path)
    file_args = module.load_file_common_arguments(
        dict(path=path, mode='0600', owner='root', group='root'))
    changed = module.set_fs_attributes_if_different(file_args, changed)
    diff = {'before': (before or b'').decode('utf-8', 'replace'), 'after': content,
            'before_header': path,
            'after_header': path + (' (predicted from the declared table)'
                                    if restore['predicted'] else '')}
    return changed, diff


def main():
    # One short run that builds tens of thousands of objects and frees none
    # of them: the cyclic collector would only cost time (see collector_paused).
    gc.disable()
    module = AnsibleModule(
        argument_spec=dict(
            # No nested options: AnsibleModule's per-suboption validation cost 5.6 s of a
            # no-op at 10,000 x 4 in the lab VM; table_from_spec makes the same checks
            # (unknown keys, types, defaults) in one pass (_ipvs_spec).
            services=dict(type='list', elements='dict'),
            rules=dict(type='str'),
            purge=dict(type='bool', default=True),
            purge_scope=dict(type='list', elements='raw'),
            exclude=dict(type='list', elements='raw'),
            timeouts=dict(type='dict', options=dict(
                tcp=dict(type='int'), tcpfin=dict(type='int'), udp=dict(type='int'))),
            backend=dict(type='str', default='auto', choices=list(BACKENDS)),
            ipvsadm_path=dict(type='path'),
            save=dict(type='path'),
            return_table=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('services', 'rules')],
        required_one_of=[('services', 'rules')],
        supports_check_mode=True,
    )
    # ipvsadm output is parsed; keep it in the C locale.
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    p = module.params

    def run_command(args, data=None):
        return module.run_command(args, data=data, binary_data=True)

    def find_ipvsadm():
        return p['ipvsadm_path'] or module.get_bin_path('ipvsadm')

    runner, fallback = None, None
    try:
        if p['rules'] is not None:
            declared = table_from_rules(p['rules'])
        else:
            declared = table_from_spec(p['services'])
        timeouts = canon_timeouts(p['timeouts'])
        runner, fallback = select_backend(p['backend'], run_command, find_ipvsadm)
        result = converge(runner, declared, purge=p['purge'],
                          scope=p['purge_scope'], timeouts=timeouts,
                          check_mode=module.check_mode, want_diff=module._diff,
                          want_table=p['return_table'], want_save=bool(p['save']),
                          exclude=p['exclude'])
    except IpvsError as exc:
        failed = exc.to_result()
        if runner is not None:
            failed['backend'] = runner.backend
        module.fail_json(**failed)
    result['backend'] = runner.backend
    if fallback:
        result['backend_fallback'] = fallback
    if p['save']:
        result['saved'], file_diff = save_file(module, p['save'], result.pop('restore_file'))
        result['changed'] = result['changed'] or result['saved']
        if module._diff:
            result['diff'] = [result['diff'], file_diff]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
