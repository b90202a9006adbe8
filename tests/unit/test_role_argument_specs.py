# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role's meta/argument_specs.yml must match its defaults/main.yml exactly.

For each role and each entry point: every default has a spec entry with the same default,
every optional spec option has a default and no required one has, options carry the role prefix, and every tasks_from
entry point (tasks/<name>.yml that a spec lists) exists. Same idea as
prometheus-community/ansible's argument_specs test.
"""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES_DIR = os.path.join(ROOT, "roles")
ROLES = sorted(d for d in os.listdir(ROLES_DIR) if os.path.isdir(os.path.join(ROLES_DIR, d))) \
    if os.path.isdir(ROLES_DIR) else []


def _load(role, *path):
    with open(os.path.join(ROLES_DIR, role, *path)) as handle:
        return yaml.safe_load(handle) or {}


@pytest.mark.parametrize("role", ROLES)
def test_every_entry_point_has_a_task_file(role):
    specs = _load(role, "meta", "argument_specs.yml")["argument_specs"]
    assert "main" in specs
    for entry in specs:
        assert os.path.isfile(os.path.join(ROLES_DIR, role, "tasks", entry + ".yml")), entry


@pytest.mark.parametrize("role", ROLES)
def test_specs_and_defaults_agree(role):
    defaults = _load(role, "defaults", "main.yml")
    specs = _load(role, "meta", "argument_specs.yml")["argument_specs"]
    for entry, spec in specs.items():
        options = spec.get("options") or {}
        required = set(name for name, option in options.items() if option.get("required"))
        optional = set(options) - required
        # main takes every variable; other entry points (tasks_from) a subset of them.
        if entry == "main":
            assert optional == set(defaults), (
                "%s/%s: only in defaults: %s; only in argument_specs: %s"
                % (role, entry, sorted(set(defaults) - optional), sorted(optional - set(defaults))))
        else:
            assert optional <= set(defaults), "%s/%s: %s" % (role, entry, sorted(optional - set(defaults)))
        for name in required:
            # Ansible rejects a required option with a default; a default would also hide a missing value.
            assert name not in defaults and "default" not in options[name], "%s/%s: %s" % (role, entry, name)
        for name in optional:
            option = options[name]
            assert "default" in option, "%s/%s: %s has no default in argument_specs" % (role, entry, name)
            assert option["default"] == defaults[name], (
                "%s/%s: %s defaults differ: argument_specs %r, defaults/main.yml %r"
                % (role, entry, name, option["default"], defaults[name]))
            if "choices" in option:
                assert defaults[name] in option["choices"], name
        for name, option in options.items():
            assert option.get("description"), "%s/%s: %s is undocumented" % (role, entry, name)


@pytest.mark.parametrize("role", ROLES)
def test_variables_carry_the_role_prefix(role):
    for name in _load(role, "defaults", "main.yml"):
        assert name.startswith(role + "_"), name
    for name in _load(role, "vars", "main.yml") if os.path.isfile(os.path.join(ROLES_DIR, role, "vars", "main.yml")) else {}:
        assert name.startswith(role + "__"), name
