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
  ipvsadm_path:
    description:
      - Path of the ipvsadm binary. Found in the system path when not given.
    type: path
attributes:
  check_mode:
    description: Read-only; runs normally in check mode.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Linux directors with ipvsadm.
    platforms: linux
    support: full
notes:
  - Each listing is a separate ipvsadm run, so counters of a service created or removed
    between two runs may be missing (V(null)).
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
ipvs:
  description: IPVS state of the host.
  returned: always
  type: dict
  contains:
    loaded:
      description: Whether ipvsadm could reach IPVS in the kernel.
      type: bool
      sample: true
    error:
      description: The ipvsadm error when RV(ipvs.loaded) is false.
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
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import Runner


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stats=dict(type='bool', default=True),
            rates=dict(type='bool', default=False),
            thresholds=dict(type='bool', default=False),
            ipvsadm_path=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    # ipvsadm output is parsed; keep it in the C locale.
    module.run_command_environ_update = dict(LANG='C', LC_ALL='C', LC_MESSAGES='C')
    p = module.params
    ipvsadm = p['ipvsadm_path'] or module.get_bin_path('ipvsadm', required=True)

    def run_command(args, data=None):
        return module.run_command(args, data=data)

    try:
        info = Runner(run_command, ipvsadm).read_info(
            stats=p['stats'], rates=p['rates'], thresholds=p['thresholds'])
    except IpvsError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(changed=False, ipvs=info)


if __name__ == '__main__':
    main()
