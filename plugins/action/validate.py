# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side glue for lvs.cluster.validate.

Gathers inventory variables (never facts, never a connection), hands them to
the pure core in module_utils/_lvs_rules.py and maps its findings to one
task result.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from collections.abc import Mapping

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.lvs.cluster.plugins.module_utils._lvs_ha import GROUP_VAR
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_hostview import (
    cluster_view,
    group_list,
    host_view,
    service_list,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_model import (
    HOST_VARS,
    LVS_GROUPS,
    Unresolved,
    resolve_cluster_var,
    resolve_services,
)
from ansible_collections.lvs.cluster.plugins.module_utils._lvs_rules import findings_for_host, summarize, validate

ARGUMENT_SPEC = {
    "services": {"type": "raw"},
    "director_groups": {"type": "raw"},
    "strict": {"type": "bool", "default": False},
    "host": {"type": "str"},
    "hosts": {"type": "list", "elements": "str"},
    "fail_on_error": {"type": "bool", "default": True},
    "allow_director_as_realserver": {"type": "bool", "default": False},
}

_MISSING = object()


def _plain(value):
    """Deep-copy templated data into plain Python types the core can trust."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return dict((_plain(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    # Anything else (an undefined marker, a custom object) is reported by the
    # core as a wrong type; its text is enough to say what it was.
    return to_text(value)


def _error_text(exc):
    lines = to_text(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class _HostVarReader:
    """Templates only the few lvs_* variables the validator reads, per host."""

    def __init__(self, templar, hostvars):
        self._templar = templar
        self._hostvars = hostvars
        self._raw = {}

    def raw(self, host):
        if host not in self._raw:
            try:
                data = self._hostvars.raw_get(host)
            except Exception:  # pylint: disable=broad-except
                data = None
            self._raw[host] = data if isinstance(data, Mapping) else {}
        return self._raw[host]

    def template(self, host, value):
        variables = dict(self.raw(host))
        # HostVarsVars omits hostvars; templates such as a gateway computed
        # from a director's DIP need it.
        variables["hostvars"] = self._hostvars
        try:
            templar = self._templar.copy_with_new_env(available_variables=variables)
            return _plain(templar.template(value))
        except Exception as exc:  # pylint: disable=broad-except
            return Unresolved(_error_text(exc))

    def host_vars(self, host):
        raw = self.raw(host)
        return dict((key, self.template(host, raw[key])) for key in HOST_VARS if key in raw)

    def services(self, hosts, var="lvs_services"):
        """lvs_services (or another cluster-wide list) as each host sees it, templating each
        distinct raw value once."""
        seen = []  # (raw object, templated value)
        result = {}
        for host in hosts:
            raw = self.raw(host).get(var, _MISSING)
            if raw is _MISSING:
                continue
            for known, value in seen:
                # group_vars/all hands every host the same object, so identity
                # spares templating a large list thousands of times.
                if known is raw:
                    result[host] = value
                    break
            else:
                if isinstance(raw, list):
                    # Per service, so one broken template is one finding, not all of them.
                    value = [self.template(host, item) for item in raw]
                else:
                    value = self.template(host, raw)
                seen.append((raw, value))
                result[host] = value
        return result


def _referenced_hosts(services, director_groups=None):
    names = set()
    if isinstance(director_groups, list):
        for group in director_groups:
            directors = group.get("directors") if isinstance(group, Mapping) else None
            if isinstance(directors, list):
                names.update(d for d in directors if isinstance(d, str))
    if not isinstance(services, list):
        return names
    for svc in services:
        if not isinstance(svc, Mapping):
            continue
        directors = svc.get("directors")
        if isinstance(directors, list):
            names.update(d for d in directors if isinstance(d, str))
        realservers = svc.get("realservers")
        if isinstance(realservers, list):
            names.update(rs.get("host") for rs in realservers
                         if isinstance(rs, Mapping) and isinstance(rs.get("host"), str))
    return names


def _by_host(outcome, findings, hosts):
    """host -> {errors, warnings}: the messages that concern each host (hosts without any left out)."""
    if not findings:
        return {}
    by_host = {}
    for name in hosts:
        mine = findings_for_host(outcome.model, findings, name)
        if mine:
            by_host[name] = {"errors": [f.message for f in mine if f.severity == "error"],
                             "warnings": [f.message for f in mine if f.severity == "warning"]}
    return by_host


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)

        # Not "host": the loops below use that name for inventory hosts.
        only_host, only_hosts = args["host"], args["hosts"]
        if only_host is not None and only_hosts is not None:
            result.update(failed=True, msg="host and hosts are mutually exclusive")
            return result

        groups = _plain(task_vars.get("groups") or {})
        inventory = set(groups.get("all", ())) | set(groups.get("ungrouped", ()))
        reader = _HostVarReader(self._templar, task_vars.get("hostvars") or {})

        lvs_hosts = []
        for group in LVS_GROUPS:
            for host in groups.get(group) or ():
                if host not in lvs_hosts:
                    lvs_hosts.append(host)

        findings = []
        if args["services"] is not None:
            services = _plain(args["services"])
        else:
            candidates = reader.services(lvs_hosts)
            if not candidates and "lvs_services" in task_vars:
                candidates = {"(play)": _plain(task_vars["lvs_services"])}
            services, findings = resolve_services(candidates)
        if args["director_groups"] is not None:
            director_groups = _plain(args["director_groups"])
        else:
            candidates = reader.services(lvs_hosts, GROUP_VAR)
            if not candidates and GROUP_VAR in task_vars:
                candidates = {"(play)": _plain(task_vars[GROUP_VAR])}
            director_groups, group_findings = resolve_cluster_var(candidates, GROUP_VAR)
            findings.extend(group_findings)

        wanted = set(lvs_hosts) | (_referenced_hosts(services, director_groups) & inventory)
        hostvars = dict((host, reader.host_vars(host)) for host in wanted if host in inventory)

        outcome = validate(services, hostvars, groups, args["allow_director_as_realserver"], director_groups)
        if only_host is not None:
            # A mismatching lvs_services breaks every host, so those findings stay.
            findings.extend(outcome.for_host(only_host))
            result["host_view"] = host_view(outcome.model, only_host)
        else:
            views = cluster_view(outcome.model)
            if only_hosts is None:
                findings.extend(outcome.findings)
            else:
                # A role's own play: the model once, for the play's hosts. A host the model
                # does not know gets no view, and the role says so.
                views = dict((name, views[name]) for name in only_hosts if name in views)
                seen = set()
                for name in only_hosts:
                    for finding in outcome.for_host(name):
                        if finding not in seen:
                            seen.add(finding)
                            findings.append(finding)
            result["host_views"] = views
            result["services"] = service_list(outcome.model)
            result["director_groups"] = group_list(outcome.model)
            result["host_findings"] = _by_host(outcome, findings, list(views))

        lines, failing = summarize(findings, args["strict"])
        errors = [f for f in findings if f.severity == "error"]
        warnings = [f for f in findings if f.severity == "warning"]
        result.update(
            changed=False,
            findings=[f.to_dict() for f in findings],
            error_count=len(errors),
            warning_count=len(warnings),
        )
        if failing and args["fail_on_error"]:
            # Views of a broken inventory are not to be used; leaving them out
            # also keeps the failure output readable.
            result.pop("host_views", None)
            result.pop("host_view", None)
            result.pop("host_findings", None)
            result.pop("services", None)
            result.pop("director_groups", None)
            result["failed"] = True
            result["msg"] = "\n".join(lines)
        else:
            result["msg"] = "LVS inventory: %d service(s), %d host(s), %d error(s), %d warning(s)" % (
                len(outcome.model.services), len(outcome.model.hosts), len(errors), len(warnings))
        if warnings and not (args["strict"] and result.get("failed")):
            result["warnings"] = [f.message for f in warnings]
        return result
