#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
module: probe
short_description: Send a verify plan's TCP connections and HTTP requests to the VIPs, in one task
description:
  - Runs on the probe host (a client of the cluster, or the controller) and sends every entry
    of a plan from the P(lvs.cluster.verify_plan#filter) filter in one go, entry after entry.
  - Each request of an entry (its C(requests)) is a new TCP connection, one after the
    other. V(tcp) connects and closes. V(http) sends C(GET <http_path> HTTP/1.0) with a Host
    header (the VIP, bracketed for IPv6, and the port unless 80), reads the answer to its end
    and wants a 2xx or 3xx status.
  - IPv4 and IPv6 VIPs; the connection goes to the entry's C(vip) (the bare address).
  - Entries asking for no request (UDP and fwmark services) are returned with nothing sent.
  - Python standard library only on the probe host.
  - Used by C(playbooks/verify.yml), whose directors count the connections per real server.
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  plan:
    description:
      - The entries to send, as P(lvs.cluster.verify_plan#filter) returns them. Each has
        C(name), C(vip) (bare address), C(host) (URL form, bracketed for IPv6; the Host
        header), C(port), C(method) (V(tcp) or V(http)) and C(requests) (a number, 0 for none).
      - The whole plan is checked before anything is sent.
    type: list
    elements: dict
    required: true
  http_path:
    description: Path of the V(http) requests; starts with C(/), no blanks.
    type: str
    default: /
  timeout:
    description:
      - Seconds one connection may take as a whole (connect, send the request, read the
        answer). A connection that takes longer fails.
    type: float
    default: 5
  fail_on_error:
    description:
      - Fail when any connection failed (refused, timed out, reset, no HTTP answer, status
        not 2xx/3xx). The message names each failing service, its VIP and port, and its
        first errors.
      - With V(false) the failures are only returned (RV(failed_connections), RV(probes)).
    type: bool
    default: true
attributes:
  check_mode:
    description:
      - Runs normally in check mode, sending the whole plan. It changes nothing on any host,
        but the traffic is real - directors and real servers see and count it, as
        C(playbooks/verify.yml) needs.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
  platform:
    description: Any host with Python and a route to the VIPs.
    platforms: posix
    support: full
notes:
  - Always returns C(changed=false).
  - A director's IPVS counters (C(conns), packets, bytes, as M(lvs.cluster.ipvs_info) reads
    them) are summed from per-CPU counters by the kernel's rate estimator every 2 seconds -
    read them at least 2 seconds after this module returned (C(playbooks/verify.yml) waits 3).
  - Connections are sequential, so a service whose VIP does not answer costs up to
    O(timeout) seconds per request.
seealso:
  - module: lvs.cluster.ipvs_info
'''

EXAMPLES = r'''
- name: Send 4 HTTP GETs per weighted real server to every TCP VIP
  lvs.cluster.probe:
    plan: "{{ lvs_services | lvs.cluster.verify_plan('http') }}"
    http_path: /health
    timeout: 3
  register: probe

- name: Which real servers answered web (the lab's servers answer their hostname)
  ansible.builtin.debug:
    msg: "{{ (probe.probes | selectattr('name', 'eq', 'web') | first).answers }}"

- name: Count failures instead of failing
  lvs.cluster.probe:
    plan:
      - {name: web, vip: "2001:db8::10", host: "[2001:db8::10]", port: 80, method: tcp, requests: 8}
    fail_on_error: false
  register: probe_v6
'''

RETURN = r'''
probes:
  description: One entry per plan entry, in order - the plan entry's keys plus what happened.
  returned: when the plan could be sent
  type: list
  elements: dict
  contains:
    name:
      description: The service name, from the plan.
      type: str
      sample: web-dr
    vip:
      description: The VIP connected to, from the plan.
      type: str
      sample: 10.0.0.10
    host:
      description: The VIP in URL form, from the plan.
      type: str
      sample: 10.0.0.10
    port:
      description: The port, from the plan.
      type: int
      sample: 80
    method:
      description: V(tcp) or V(http), from the plan.
      type: str
      sample: http
    requests:
      description: Requests planned.
      type: int
      sample: 8
    sent:
      description: Connections attempted (all planned ones).
      type: int
      sample: 8
    succeeded:
      description: Connections that were accepted (and for V(http), answered with 2xx/3xx).
      type: int
      sample: 7
    failed:
      description: Connections that failed.
      type: int
      sample: 1
    errors:
      description: "The first 5 failures, each C(#<request number>: <error text>)."
      type: list
      elements: str
      sample: ["#3: [Errno 111] Connection refused"]
    answers:
      description:
        - For V(http), the first line of each successful answer's body (stripped, at most
          200 characters) and how many answers started with it. Empty for V(tcp).
      type: dict
      sample: {"dr1": 4, "dr2": 4}
sent:
  description: Connections attempted over the whole plan.
  returned: when the plan could be sent
  type: int
  sample: 16
succeeded:
  description: Connections that succeeded over the whole plan.
  returned: when the plan could be sent
  type: int
  sample: 15
failed_connections:
  description: Connections that failed over the whole plan.
  returned: when the plan could be sent
  type: int
  sample: 1
failures:
  description: One line per service with a failed connection (service, VIP and port, method, counts, first errors).
  returned: when the plan could be sent
  type: list
  elements: str
  sample: ["web-dr 10.0.0.10:80 (tcp): 1 of 8 connections failed: #3: [Errno 111] Connection refused"]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lvs.cluster.plugins.module_utils._probe import (
    DEFAULT_TIMEOUT, ProbeError, failures, probe_plan, totals,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            plan=dict(type='list', elements='dict', required=True),
            http_path=dict(type='str', default='/'),
            timeout=dict(type='float', default=DEFAULT_TIMEOUT),
            fail_on_error=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False)
    try:
        results = probe_plan(p['plan'], p['http_path'], p['timeout'])
    except ProbeError as exc:
        problem = 'nothing sent: %s' % (exc,)
    else:
        counts = totals(results)
        lines = failures(results)
        result.update(probes=results, sent=counts['sent'], succeeded=counts['succeeded'],
                      failed_connections=counts['failed'], failures=lines)
        problem = None
        if lines and p['fail_on_error']:
            problem = '%d of %d connections failed - %s' % (counts['failed'], counts['sent'], '; '.join(lines))
    if problem:
        module.fail_json(msg=problem, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
