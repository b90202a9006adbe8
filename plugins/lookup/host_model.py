# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = r'''
---
name: host_model
short_description: One host's part of this run's LVS model, in constant time
description:
  - Returns, for each host named, its view of the LVS model and the validator's findings about it, taken
    from the model C(playbooks/validate.yml) registered on C(localhost) as C(lvs_cluster_model), or, when
    that play did not run, from the result of a C(lvs.cluster.validate) task the calling host registered
    (option O(fallback)).
  - Why a lookup - a template such as C(hostvars['localhost'].lvs_cluster_model.host_views[inventory_hostname])
    makes ansible-core copy the whole C(host_views) dict (one entry per host) every time it is evaluated,
    so every host would pay for the size of the fleet. This lookup reads the registered result without
    templating it and returns only the host's own part.
version_added: 0.2.0
author:
  - lvs.cluster contributors (!UNKNOWN)
options:
  _terms:
    description: Inventory host names.
    required: true
  fallback:
    description:
      - Name of a variable of the calling host that holds a C(lvs.cluster.validate) result with
        C(host_views) (the roles register their own C(run_once) validation under such a name). Used only
        when C(localhost) has no C(lvs_cluster_model).
    type: str
  ipvs_rules:
    description:
      - Also return RV(_list[].ipvs_rules), the host's static IPVS services (its view's
        C(director.ipvs_services)) as the O(lvs.cluster.ipvs#module:rules) text.
      - Rendered here from the stored view. Ansible hands a module a list of dicts, or a filter each element
        of one, at a cost per dict (at 10,000 services x 4 real servers some 25 s per C(lvs.cluster.ipvs) task
        with the list, and 8 s in the P(lvs.cluster.ipvs_rules#filter) filter alone); this costs the rendering
        only. The director role's C(lvs.cluster.ipvs) task takes its O(lvs.cluster.ipvs#module:rules) from here.
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - Reads registered results as they were stored; it templates nothing.
seealso:
  - module: lvs.cluster.validate
'''

EXAMPLES = r'''
- name: This host's view, known or not, and its findings
  ansible.builtin.debug:
    msg: "{{ lookup('lvs.cluster.host_model', inventory_hostname) }}"
'''

RETURN = r'''
_list:
  description: One element per host named.
  type: list
  elements: dict
  contains:
    found:
      description: Whether a model was found at all (C(lvs_cluster_model) on localhost, or the fallback).
      type: bool
    known:
      description: Whether the model knows the host (it is in an LVS group or a service names it).
      type: bool
    view:
      description: The host's view (see C(lvs.cluster.validate) RV(lvs.cluster.validate#module:host_views)), or V(null).
      type: dict
    errors:
      description: The validator's error messages about the host, its services or the whole inventory.
      type: list
      elements: str
    warnings:
      description: The validator's warnings, likewise.
      type: list
      elements: str
    ipvs_rules:
      description:
        - With O(ipvs_rules), the host's static IPVS services as ipvsadm rules, one C(-A) line per service,
          each followed by the C(-a) lines of its real servers; empty when it directs none or is unknown.
      type: str
      returned: with O(ipvs_rules)
'''

from collections.abc import Mapping

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError

MODEL_VAR = 'lvs_cluster_model'


def _raw(hostvars, host):
    """A host's variables as stored (untemplated), or {}."""
    try:
        data = hostvars.raw_get(host)
    except Exception:  # pylint: disable=broad-except
        return {}
    return data if isinstance(data, Mapping) else {}


def _model(variables, fallback):
    hostvars = variables.get('hostvars')
    if hostvars is not None:
        model = _raw(hostvars, 'localhost').get(MODEL_VAR)
        if isinstance(model, Mapping) and 'host_views' in model:
            return model
        if fallback and variables.get('inventory_hostname'):
            model = _raw(hostvars, variables['inventory_hostname']).get(fallback)
            if isinstance(model, Mapping) and 'host_views' in model:
                return model
    return None


def ipvs_rules(view, host):
    """The ``rules`` text of the static IPVS services in ``view`` ('' for none)."""
    services = ((view or {}).get('director') or {}).get('ipvs_services') or []
    try:
        return table_from_spec(services).render()
    except IpvsError as exc:
        raise AnsibleError('lvs.cluster.host_model: host %s: its ipvs_services: %s' % (host, exc))


def part(model, host, rules=False):
    """The element returned for ``host`` (pure; the unit tests call it)."""
    if model is None:
        out = {'found': False, 'known': False, 'view': None, 'errors': [], 'warnings': []}
    else:
        views = model.get('host_views') or {}
        findings = (model.get('host_findings') or {}).get(host) or {}
        out = {'found': True, 'known': host in views, 'view': views.get(host),
               'errors': list(findings.get('errors') or []), 'warnings': list(findings.get('warnings') or [])}
    if rules:
        out['ipvs_rules'] = ipvs_rules(out['view'], host)
    return out


class LookupModule(LookupBase):
    def run(self, terms, variables=None, fallback=None, ipvs_rules=False, **kwargs):
        if kwargs:
            raise AnsibleError('lvs.cluster.host_model: unknown option(s) %s (known: fallback, ipvs_rules)'
                               % ', '.join(sorted(kwargs)))
        if not isinstance(ipvs_rules, bool):
            raise AnsibleError('lvs.cluster.host_model: ipvs_rules must be true or false, not %r' % (ipvs_rules,))
        model = _model(variables or {}, fallback)
        return [part(model, str(host), ipvs_rules) for host in terms]
