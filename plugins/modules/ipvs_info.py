#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: ipvs_info
short_description: Read the IPVS table, counters, timeouts and sync daemons of a director
description:
  - Reads services, real servers, weights and connection counts (C(ipvsadm -Ln)),
    packet and byte counters (C(ipvsadm -Ln --stats --exact)), optionally rates and
    thresholds, the IPVS timeouts (C(ipvsadm -Ln --timeout)) and the connection sync
    daemons (C(ipvsadm -Ln --daemon)).
  - By default (O(backend=auto)) everything is read over the kernel's IPVS generic netlink
    family (one socket, Python standard library only, ipvsadm not needed); C(ipvsadm) is
    the fallback and a selectable backend. Both give the same fact.
  - When the kernel has no IPVS, returns RV(ipvs.loaded=false) instead of failing.
  - Read-only; runs the same in check mode.
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  stats:
    description: Read packet and byte counters.
    type: bool
    default: true
  rates:
    description: Read per-second rates (C(ipvsadm -Ln --rate --exact)).
    type: bool
    default: false
  thresholds:
    description: Read real server connection thresholds (C(ipvsadm -Ln --thresholds)).
    type: bool
    default: false
  backend:
    description:
      - V(netlink) reads over the IPVS generic netlink family (counters and rates as the
        kernel keeps them, exact), V(ipvsadm) runs one ipvsadm listing per item, V(auto)
        takes netlink when the IPVS family resolves, else ipvsadm. RV(backend) says which
        was used.
    type: str
    choices: [auto, netlink, ipvsadm]
    default: auto
  ipvsadm_path:
    description:
      - Path of the ipvsadm binary. Found in the system path when not given.
      - Only used with the ipvsadm backend (chosen, or as the fallback of V(auto)).
    type: path
attributes:
  check_mode:
    description: Read-only; runs normally in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Linux directors with IPVS.
    platforms: linux
    support: full
notes:
  - With ipvsadm each listing is a separate run, so counters of a service created or
    removed between two runs may be missing (V(null)). With netlink a service and its
    real servers are read together, one dump request per service.
seealso:
  - module: lvs.cluster.ipvs
'''

EXAMPLES = r'''
- name: Read the IPVS state
  lvs.cluster.ipvs_info:
  register: lvs

- name: Show active connections per service
  ansible.builtin.debug:
    msg: "{{ lvs.ipvs.services | map(attribute='active_conns') | list }}"
  when: lvs.ipvs.loaded
'''

RETURN = r'''
backend:
  description: The backend used, V(netlink) or V(ipvsadm); V(null) when neither could be used.
  returned: always
  type: str
  sample: netlink
ipvs:
  description: IPVS state of the host.
  returned: always
  type: dict
  contains:
    loaded:
      description: Whether the backend could reach IPVS in the kernel.
      type: bool
      sample: true
    error:
      description: The ipvsadm or netlink error when RV(ipvs.loaded) is false.
      type: str
      returned: when RV(ipvs.loaded) is false
    version:
      description: IPVS version of the kernel.
      type: str
      sample: 1.2.1
    size:
      description: Size of the connection hash table.
      type: int
      sample: 4096
    services:
      description:
        - Virtual services, with the keys of the O(lvs.cluster.ipvs#module:services)
          option plus V(active_conns), V(inactive_conns), V(stats) (V(conns), V(inpkts),
          V(outpkts), V(inbytes), V(outbytes)) and, when requested, V(rates) (V(cps),
          V(inpps), V(outpps), V(inbps), V(outbps)).
        - Each real server has V(address), V(port), V(forward) (V(dr), V(tun), V(nat) or
          V(local)), V(weight), V(active_conns), V(inactive_conns), V(stats), and when
          requested V(rates), V(upper_threshold), V(lower_threshold).
      type: list
      elements: dict
      sample: [{"protocol": "tcp", "address": "10.0.0.10", "port": 80, "fwmark": null,
                "family": "inet", "scheduler": "wlc", "scheduler_flags": [],
                "persistence_timeout": 300, "persistence_netmask": null,
                "persistence_engine": null, "one_packet": false, "active_conns": 3,
                "inactive_conns": 1,
                "stats": {"conns": 10, "inpkts": 120, "outpkts": 0, "inbytes": 9000,
                          "outbytes": 0},
                "realservers": [{"address": "10.0.0.11", "port": 80, "forward": "dr",
                                 "weight": 1, "active_conns": 3, "inactive_conns": 1,
                                 "stats": {"conns": 10, "inpkts": 120, "outpkts": 0,
                                           "inbytes": 9000, "outbytes": 0}}]}]
    timeouts:
      description: IPVS timeouts in seconds.
      type: dict
      sample: {"tcp": 900, "tcpfin": 120, "udp": 300}
    daemons:
      description: Running connection sync daemons.
      type: list
      elements: dict
      sample: [{"state": "master", "mcast_interface": "eth0", "syncid": 1}]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_listing import not_loaded_info
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import FamilyMissing
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import BACKENDS, select_backend


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stats=dict(type='bool', default=True),
            rates=dict(type='bool', default=False),
            thresholds=dict(type='bool', default=False),
            backend=dict(type='str', default='auto', choices=list(BACKENDS)),
            ipvsadm_path=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    # ipvsadm output is parsed; keep it in the C locale.
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    p = module.params

    def run_command(args, data=None):
        return module.run_command(args, data=data)

    def find_ipvsadm():
        return p['ipvsadm_path'] or module.get_bin_path('ipvsadm')

    try:
        runner, _fallback = select_backend(p['backend'], run_command, find_ipvsadm)
    except FamilyMissing as exc:
        # backend=netlink on a kernel without IPVS: not loaded, as with ipvsadm.
        module.exit_json(changed=False, backend=None, ipvs=not_loaded_info(exc.msg))
    except IpvsError as exc:
        if exc.details.get('netlink_error'):
            # auto: no IPVS family and no ipvsadm to ask instead.
            module.exit_json(changed=False, backend=None, ipvs=not_loaded_info(exc.msg))
        module.fail_json(**exc.to_result())
    try:
        info = runner.read_info(stats=p['stats'], rates=p['rates'], thresholds=p['thresholds'])
    except IpvsError as exc:
        module.fail_json(backend=runner.backend, **exc.to_result())
    module.exit_json(changed=False, backend=runner.backend, ipvs=info)


if __name__ == '__main__':
    main()
