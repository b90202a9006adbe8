#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: validate
short_description: Validate an LVS cluster inventory on the controller
description:
  - Checks the LVS inventory contract (groups C(lvs_directors), C(lvs_dr_realservers),
    C(lvs_tun_realservers), C(lvs_nat_realservers), the cluster-wide C(lvs_services)
    and C(lvs_director_groups), and the per-host C(lvs_*) variables) against every rule
    in C(docs/rules.md).
  - Runs entirely on the controller from inventory variables. It reads no fact and
    contacts no host, so it gives the same answer when every host is unreachable.
  - Reports B(all) findings at once. Each finding has a stable rule id, the host, the
    service and a one-line reason that says what to change.
  - Errors fail the task. Warnings are shown and fail the task only with O(strict=true).
  - Also returns, per host, the view the director and real server roles configure from.
version_added: 0.1.0
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  services:
    description:
      - The services to validate, in the C(lvs_services) format of C(docs/inventory.md).
      - When not given, C(lvs_services) is read from the host variables of every host
        in the LVS groups; they must all see the same value (normally it is defined once
        in C(group_vars/all)). If none of them defines it, the play host's
        C(lvs_services) is used.
    type: raw
  director_groups:
    description:
      - The director groups (VRRP pairs or sets of directors) to validate, in the
        C(lvs_director_groups) format of C(docs/inventory.md).
      - When not given, C(lvs_director_groups) is read like C(lvs_services) (every host in
        the LVS groups must see the same value, else the play host's). Undefined everywhere
        means no director group.
    type: raw
  strict:
    description:
      - Fail on warnings as well as on errors.
    type: bool
    default: false
  host:
    description:
      - An inventory host name. Only findings about this host, about services it takes
        part in, or about the whole inventory are returned (and can fail the task), and
        RV(host_view) is returned instead of RV(host_views).
      - Mutually exclusive with O(hosts).
    type: str
  hosts:
    description:
      - Inventory host names. Only findings about these hosts, about services they take
        part in, or about the whole inventory are returned (and can fail the task), and
        RV(host_views) holds only these hosts; a host the model does not know has no entry.
      - A role run in a play of its own calls the action this way once (C(run_once)) with
        the play's hosts, then each host stops on its own RV(host_findings).
      - Mutually exclusive with O(host).
    type: list
    elements: str
  fail_on_error:
    description:
      - Fail the task when there are errors (or warnings with O(strict=true)). With
        V(false) the findings are only returned.
    type: bool
    default: true
  allow_director_as_realserver:
    description:
      - Allow a host to be both director and real server of a service everywhere,
        silencing rule C(realserver-is-director). A service can allow it for itself
        with its C(allow_director_as_realserver) key.
    type: bool
    default: false
attributes:
  check_mode:
    description: Changes nothing in any mode.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
  platform:
    description: Runs on the controller only.
    platforms: all
    support: full
notes:
  - This is an action plugin; the work happens on the controller. Use it in a play on
    C(localhost) (see playbook C(lvs.cluster.validate)) or with O(host) from any host.
  - Host variables are templated as that host sees them, C(hostvars) included.
seealso:
  - name: Inventory contract
    description: Groups, lvs_services and host variables.
    link: https://github.com/lvs-cluster/lvs.cluster/blob/main/docs/inventory.md
  - name: Rules
    description: Every rule id, what it checks and why.
    link: https://github.com/lvs-cluster/lvs.cluster/blob/main/docs/rules.md
'''

EXAMPLES = r'''
- name: Validate the whole inventory, failing on warnings too
  lvs.cluster.validate:
    strict: true

- name: Validate once for the hosts of this play, without failing; each host checks its own findings
  lvs.cluster.validate:
    hosts: "{{ ansible_play_hosts }}"
    fail_on_error: false
  run_once: true
  register: lvs_model

- name: Validate before configuring this host, and keep its view
  lvs.cluster.validate:
    host: "{{ inventory_hostname }}"
  delegate_to: localhost
  register: lvs_check

- name: Collect findings without failing
  lvs.cluster.validate:
    fail_on_error: false
  register: lvs_report
'''

RETURN = r'''
findings:
  description: Every finding (only those in scope when O(host) is set), errors first within each rule pass.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: Stable rule id, for example V(dr-same-segment).
      type: str
    severity:
      description: V(error) or V(warning).
      type: str
    host:
      description: Inventory host the finding is about, or V(null).
      type: str
    service:
      description: Service name (or C(lvs_services[N]) for an unnamed entry), or V(null).
      type: str
    message:
      description: The one-line message, ending with the rule id in brackets.
      type: str
  sample:
    - rule: dr-same-segment
      severity: error
      host: rs3
      service: web
      message: "host rs3, service web (10.0.0.10:80/tcp dr): real server 10.0.9.13/24 and director dir1 (10.0.0.1/24)
        are not on one subnet; DR rewrites only the destination MAC, so put the real server on the director's
        segment or use mode tun [dr-same-segment]"
error_count:
  description: Number of error findings.
  returned: always
  type: int
warning_count:
  description: Number of warning findings.
  returned: always
  type: int
msg:
  description: When failing, every failing message joined by newlines; otherwise a one-line summary.
  returned: always
  type: str
host_views:
  description: Host name to host view (see RV(host_view)) for every host of the LVS groups or named by a service.
  returned: when O(host) is not set
  type: dict
services:
  description:
    - The parsed services in inventory order, every default applied (C(protocol), C(scheduler), real
      server C(weight)) and each real server's C(address) resolved from its host's C(lvs_address). Keys
      C(name), C(mode), C(protocol), C(vip) (not for a fwmark service without VIP), C(port), C(fwmark)
      (fwmark services only), C(scheduler), C(persistence_timeout), C(directors), C(realservers)
      (C(host), C(address), C(weight), and C(port) when remapped), C(health_check) (the check with
      every default applied - C(type), C(port), C(path), C(status), C(interval), C(timeout),
      C(retries), C(via) - or V(null)).
    - C(playbooks/verify.yml) probes and reports from it.
  returned: when O(host) is not set
  type: list
  elements: dict
director_groups:
  description:
    - The director groups in inventory order, each with C(name), C(directors), C(virtual_router_id),
      C(vips) (the VIPs of the group's services, host prefix) and C(dip) (the floating NAT DIP with its
      prefix, or V(null)).
  returned: when O(host) is not set
  type: list
  elements: dict
  sample: [{name: edge, directors: [lb1, lb2], virtual_router_id: 51, vips: [10.0.0.10/32], dip: null}]
host_findings:
  description:
    - Host name to the findings that concern that host (about it, about a service it takes part in, or
      about the whole inventory), as C(errors) and C(warnings) lists of messages. Hosts without findings
      have no entry.
    - The roles stop a host on its C(errors), and on its C(warnings) when their C(*_validate_strict) is set.
  returned: when O(host) is not set
  type: dict
  sample: {rs3: {errors: ["host rs3, service web (10.0.0.10:80/tcp dr): ... [dr-same-segment]"], warnings: []}}
host_view:
  description:
    - What the roles configure on O(host) - keys C(host), C(address), C(family), C(director),
      C(dr_realserver), C(tun_realserver), C(nat_realserver). See C(docs/inventory.md).
    - C(director.ipvs_services) is the O(lvs.cluster.ipvs#module:services) option for that director
      (services without C(health_check)).
    - C(director.keepalived) is what keepalived does on that director (VRRP of its director group,
      health-checked services, probe services), or V(null). In a director group C(director.vips) is
      empty and C(director.internal_address) V(null), as keepalived holds them.
  returned: when O(host) is set
  type: dict
'''
