# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.ipvs gives ``services`` to AnsibleModule without nested options, so
table_from_spec must check what AnsibleModule's suboption validation checked.

The nested argument spec is rebuilt from the module's documented suboptions and run
through Ansible's own ArgumentSpecValidator on generated declarations, with values of
every type in every key:
- what Ansible refuses, table_from_spec refuses (null, '' and [] mean "not set" for
  every key here, so Ansible is given the declaration without them);
- what Ansible accepts, table_from_spec reads from the raw declaration exactly as it
  reads Ansible's converted one: the same table, or a failure in the same service;
  except a boolean, list or dict in a string option, refused here (Ansible would make
  text of it: 'True', "['rr']").
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.lvs.cluster.plugins.modules import ipvs as ipvs_module
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import (
    REALSERVER_KEYS, SERVICE_KEYS, table_from_spec,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_values import blank

DOC = yaml.safe_load(ipvs_module.DOCUMENTATION)['options']['services']


def _argspec(suboptions):
    spec = {}
    for name, doc in suboptions.items():
        entry = {'type': doc['type']}
        for key in ('elements', 'default', 'required'):
            if key in doc:
                entry[key] = doc[key]
        if 'suboptions' in doc:
            entry['options'] = _argspec(doc['suboptions'])
        spec[name] = entry
    return spec


NESTED = ArgumentSpecValidator({'services': {'type': 'list', 'elements': 'dict', 'required': True,
                                             'options': _argspec(DOC['suboptions'])}})


def test_keys_are_the_documented_suboptions():
    assert SERVICE_KEYS == dict((k, v['type']) for k, v in DOC['suboptions'].items())
    rs_doc = DOC['suboptions']['realservers']['suboptions']
    assert REALSERVER_KEYS == dict((k, v['type']) for k, v in rs_doc.items())


def outcome(services):
    """('ok', rendered table) or ('error', the service the message names, the message)."""
    try:
        return 'ok', table_from_spec(services).render()
    except IpvsError as exc:
        return 'error', str(exc).split(':', maxsplit=1)[0].split('.')[0], str(exc)


def _known_set(spec, known):
    if not isinstance(spec, dict):
        return spec
    return dict((k, v) for k, v in spec.items() if k not in known or not blank(v))


def _unset_blank(services):
    """The declaration without its blank known keys: None, '' and [] mean "not set" here,
    as the model writes them (Ansible 2.19 would refuse them in an int option)."""
    out = []
    for svc in services:
        svc = _known_set(svc, SERVICE_KEYS)
        if isinstance(svc, dict) and isinstance(svc.get('realservers'), list):
            svc['realservers'] = [_known_set(rs, REALSERVER_KEYS) for rs in svc['realservers']]
        out.append(svc)
    return out


def ansible(services):
    """Ansible's verdict: (its messages, None) when refused, else ([], converted ``services``)."""
    result = NESTED.validate({'services': _unset_blank(services)})
    if result.error_messages:
        return result.error_messages, None
    return [], result.validated_parameters['services']


# Values of every type AnsibleModule converts, for each kind of key.
ANY = st.one_of(st.none(), st.booleans(), st.integers(-2, 70000), st.sampled_from([
    0.0, 1.0, 80.0, 80.5, '', ' 80 ', '80', '8e1', '80.0', '80.5', 'x', 'yes', 'no', 'on', 'off',
    'true', 'False', 't', '1', '0', 'tcp', 'udp', 'sctp', 'inet', 'inet6', 'rr', 'wlc', 'sh', 'RR',
    'sh-port', 'sh-fallback,sh-port', 'flag-1', 'dr', 'tun', 'nat', 'gue', 'gre', 'ipip',
    'csum', 'remcsum', '24', '255.255.255.0', 'sip', '10.0.0.10', '10.0.0.11', '2001:db8::1',
    '10.0.0.12:80', [], ['sh-port'], ['flag-2', 1], [1], {'a': 1}]))
RS_VALUES = {
    'address': st.one_of(st.sampled_from(['10.0.0.11', '10.0.0.12', '2001:db8::5', '10.0.0.13:8080']), ANY),
    'port': st.one_of(st.sampled_from([80, '80', 8080, 80.0]), ANY),
    'weight': st.one_of(st.integers(0, 5), ANY),
    'forward': st.one_of(st.sampled_from(['dr', 'tun', 'nat']), ANY),
}
SVC_VALUES = {
    'address': st.one_of(st.sampled_from(['10.0.0.10', '2001:db8::1', '10.0.0.10:80']), ANY),
    'port': st.one_of(st.sampled_from([80, '80', 80.0]), ANY),
    'protocol': st.one_of(st.sampled_from(['tcp', 'udp']), ANY),
    'scheduler': st.one_of(st.sampled_from(['rr', 'sh', 'mh']), ANY),
    'one_packet': st.one_of(st.sampled_from([True, 'yes', 'no', 0]), ANY),
    'persistence_timeout': st.one_of(st.sampled_from([300, '300']), ANY),
}


def _dicts(keys, values):
    """Dicts of likely keys with likely or odd values, and sometimes a key not in ``keys``."""
    likely = st.fixed_dictionaries({}, optional=values)
    other = st.dictionaries(st.sampled_from(sorted(keys) + ['bogus']), ANY, max_size=2)
    return st.builds(lambda a, b: dict(a, **b), likely, other)


REALSERVER = st.one_of(_dicts(REALSERVER_KEYS, RS_VALUES), ANY)
SERVICE = st.one_of(
    st.builds(lambda svc, rss: dict(svc, realservers=rss) if rss is not None else svc,
              _dicts(SERVICE_KEYS, SVC_VALUES), st.one_of(st.none(), st.lists(REALSERVER, max_size=3))),
    ANY)


# Declarations that converge, in the shapes the model and operators write them.
TEMPLATES = [
    {'address': '10.0.0.10', 'port': 80, 'scheduler': 'rr',
     'realservers': [{'address': '10.0.0.11'}, {'address': '10.0.0.12', 'weight': 3}]},
    {'address': '10.0.0.10', 'port': 53, 'protocol': 'udp', 'one_packet': True, 'scheduler': 'sh',
     'scheduler_flags': ['sh-port'], 'realservers': [{'address': '10.0.0.11', 'forward': 'nat', 'port': 5353}]},
    {'fwmark': 7, 'persistence_timeout': 300, 'persistence_netmask': '24',
     'realservers': [{'address': '10.0.0.11', 'forward': 'tun', 'tun_type': 'gue', 'tun_port': 6080}]},
    {'address': '2001:db8::1', 'port': 443, 'scheduler': 'mh', 'scheduler_flags': 'mh-fallback',
     'persistence_timeout': 60, 'realservers': [{'address': '2001:db8::5', 'upper_threshold': 10,
                                                 'lower_threshold': 5}]},
]


class Respell(object):
    """An edit that writes a key's value in another form AnsibleModule converts back."""

    def __init__(self, how):
        self.how = how

    def __repr__(self):
        return 'Respell(%d)' % self.how

    def __call__(self, value):
        if isinstance(value, bool):
            return [('yes', 'no'), ('true', 'False'), (1, 0), (' on', 'off ')][self.how][not value]
        if isinstance(value, int):
            return [str(value), float(value), ' %d ' % value, '%de0' % value][self.how]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return ','.join(value)
        return value


KEYS = sorted(set(SERVICE_KEYS) | set(REALSERVER_KEYS)) + ['bogus']
LEVEL = st.sampled_from(['service', 'realserver'])
RESPELL = st.tuples(LEVEL, st.sampled_from(KEYS), st.integers(0, 3).map(Respell))
EDITS = st.lists(st.one_of(RESPELL, RESPELL, st.tuples(LEVEL, st.sampled_from(KEYS), ANY)), max_size=3)


def _edited(index, edits):
    first = dict(TEMPLATES[index]['realservers'][0])
    svc = dict(TEMPLATES[index], realservers=[first] + TEMPLATES[index]['realservers'][1:])
    for level, key, value in edits:
        target = svc if level == 'service' else first
        if isinstance(value, Respell):
            if key in target:
                target[key] = value(target[key])
        else:
            target[key] = value
    return svc


NEAR_VALID = st.builds(_edited, st.integers(0, len(TEMPLATES) - 1), EDITS)


def _same_verdict(services):
    refusals, converted = ansible(services)
    mine = outcome(services)
    if converted is None:
        assert mine[0] == 'error', (services, refusals)
        return 'refused'
    theirs = outcome(converted)
    if mine[0] == 'error' and mine[2].endswith(' is not a string'):
        # The other deliberate difference: a boolean, list or dict in a string option is
        # refused here; Ansible would pass its text ('True', "['rr']") on as a name.
        return 'error'
    if mine[0] == theirs[0] == 'error':
        assert mine[1] == theirs[1], (services, mine, theirs)
    else:
        assert mine == theirs, services
    return mine[0]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SERVICE, min_size=1, max_size=2))
def test_any_values_refused_as_ansible_refuses_them(services):
    _same_verdict(services)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NEAR_VALID, min_size=1, max_size=2))
def test_near_valid_declarations_read_alike(services):
    _same_verdict(services)


def test_near_valid_corpus_is_mostly_accepted():
    """The comparison above means something only if many declarations get through."""
    verdicts = []

    @settings(max_examples=300, deadline=None, database=None)
    @given(NEAR_VALID)
    def collect(svc):
        verdicts.append(_same_verdict([svc]))

    collect()
    assert verdicts.count('ok') >= len(verdicts) // 3, (verdicts.count('ok'), len(verdicts))


@pytest.mark.parametrize('services,fragment', [
    ([{'address': '10.0.0.10', 'port': 80, 'schedulr': 'rr'}],
     'services[0]: unsupported key schedulr; supported: address, family'),
    ([{'address': '10.0.0.10', 'port': 80, 'realservers': [{'address': '10.0.0.11', 'wieght': 2, 'x': 1}]}],
     'services[0].realservers[0]: unsupported keys wieght, x; supported: address, forward'),
    ([{'address': '10.0.0.10', 'port': 80, 'realservers': '10.0.0.11'}],
     'services[0].realservers: expected a list'),
    ([{'address': '10.0.0.10', 'port': 80, 'protocol': 'udp', 'one_packet': 'maybe'}],
     "services[0].one_packet: 'maybe' is not a boolean"),
    ([{'address': '10.0.0.10', 'port': 80.5}], "services[0].port: 80.5 is not an integer"),
    ([{'address': '10.0.0.10', 'port': '1e999999999'}], "services[0].port: 1e999999999 is outside 0..65535"),
    ([{'address': '10.0.0.10', 'port': 'inf'}], "services[0].port: 'inf' is not an integer"),
    ([{'address': '10.0.0.10', 'port': 80, 'scheduler': True}], 'services[0].scheduler: True is not a string'),
    ([{'address': '10.0.0.10', 'port': 80, 'scheduler': 'sh', 'scheduler_flags': {'sh-port': 1}}],
     'services[0].scheduler_flags: '),
])
def test_errors_name_the_field(services, fragment):
    with pytest.raises(IpvsError) as err:
        table_from_spec(services)
    assert fragment in str(err.value)


def test_converts_as_ansible_does():
    table = table_from_spec([{'address': '10.0.0.10', 'port': '80', 'protocol': 'udp', 'one_packet': 'yes',
                              'persistence_timeout': '3e2', 'scheduler': 'sh',
                              'scheduler_flags': 'sh-port,sh-fallback',
                              'realservers': [{'address': '10.0.0.11', 'weight': '2.0'}]}])
    assert table.render() == ('-A -u 10.0.0.10:80 -s sh -p 300 -o -b sh-fallback,sh-port\n'
                              '-a -u 10.0.0.10:80 -r 10.0.0.11:80 -g -w 2\n')
