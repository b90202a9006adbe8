# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ipvs_rules filter: a ``services`` list as the ``rules`` text of lvs.cluster.ipvs.

Rendered on the controller, once per call: Ansible passes a module a large list of
dicts at a cost that grows with every dict (docs/testing.md), one string at almost none.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError


def ipvs_rules(services):
    try:
        return table_from_spec(services).render()
    except IpvsError as exc:
        raise AnsibleFilterError('lvs.cluster.ipvs_rules: %s' % (exc,))


class FilterModule(object):
    def filters(self):
        return {'ipvs_rules': ipvs_rules}
