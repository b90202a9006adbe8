# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

import pytest

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save, restore_file
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_spec import table_from_spec
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_runner import (
    Runner, batch_errors, converge,
)
from ansible_collections.lvs.cluster.tests.unit.plugins.module_utils.ipvs_sim import (
    SimError, Simulator,
)

LIVE = """\
-A -t 10.0.0.10:80 -s wlc
-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1
-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 1
-A -t 10.0.0.20:443 -s rr
-a -t 10.0.0.20:443 -r 10.0.0.21:443 -g -w 1
"""

NOT_LOADED = ("modprobe: FATAL: Module ip_vs not found\n"
              "Can't initialize ipvs: Protocol not available\n"
              "Are you sure that IP Virtual Server is built in the kernel or as module?\n")


class FakeIpvsadm(object):
    """run_command stand-in behaving like ipvsadm 1.31 on a simulated kernel."""

    def __init__(self, text=LIVE, fail=None, loaded=True):
        self.sim = Simulator(parse_save(text))
        self.calls = []
        self.fail = fail or (lambda line, run: False)
        self.loaded = loaded
        self.runs = 0

    def __call__(self, args, data=None):
        self.calls.append((args[1:], data))
        if not self.loaded:
            return 2, '', NOT_LOADED
        if args[1:] == ['-Sn']:
            # Like the real -S: no thresholds.
            return 0, re.sub(r' -[xy] \d+', '', self.sim.table.render()), ''
        if args[1:] == ['-Ln', '--timeout']:
            t = self.sim.timeouts
            return 0, 'Timeout (tcp tcpfin udp): %d %d %d\n' % (t['tcp'], t['tcpfin'], t['udp']), ''
        if args[1:] == ['-Ln', '--thresholds']:
            out = ['IP Virtual Server version 1.2.1 (size=4096)']
            for svc in self.sim.table.sorted_services():
                out.append('%-4s %s %s' % (svc.protocol.upper(), svc.spec.split()[1], svc.scheduler))
                for rs in svc.sorted_realservers():
                    out.append('  -> %s:%d %d %d 0 0' % (rs.address, rs.port, rs.upper_threshold,
                                                         rs.lower_threshold))
            return 0, '\n'.join(out) + '\n', ''
        if args[1:] == ['-R']:
            self.runs += 1
            err, rc = '', 0
            # ipvsadm -R goes on after a failing line; rc is the last line's.
            for line in data.splitlines():
                if not line.strip():
                    continue
                try:
                    if self.fail(line, self.runs):
                        raise SimError('Memory allocation problem')
                    self.sim.run(line)
                    rc = 0
                except SimError as exc:
                    err += '%s\n' % exc
                    rc = 255
            return rc, '', err
        raise AssertionError('unexpected ipvsadm call %r' % (args,))

    def writes(self):
        return [c for c in self.calls if c[0] == ['-R']]


def declared(text):
    return parse_save(text)


def test_noop_run_executes_no_write():
    fake = FakeIpvsadm()
    result = converge(Runner(fake, '/usr/sbin/ipvsadm'), declared(LIVE))
    assert result['changed'] is False and result['commands'] == []
    assert fake.calls == [(['-Sn'], None)]


def test_noop_with_timeouts_reads_them_but_writes_nothing():
    fake = FakeIpvsadm()
    result = converge(Runner(fake), declared(LIVE), timeouts={'tcp': 900})
    assert not result['changed'] and fake.writes() == []
    assert result['timeouts'] == {'before': {'tcp': 900, 'tcpfin': 120, 'udp': 300},
                                  'after': {'tcp': 900, 'tcpfin': 120, 'udp': 300}}


def test_check_mode_reports_but_runs_nothing():
    fake = FakeIpvsadm()
    want = declared(LIVE.replace('10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 3'))
    result = converge(Runner(fake), want, check_mode=True, want_diff=True)
    assert result['changed'] is True
    assert result['commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 3']
    assert fake.writes() == []
    assert '-r 10.0.0.12:80 -g -w 1' in result['diff']['before']
    assert '-r 10.0.0.12:80 -g -w 3' in result['diff']['after']


def test_apply_is_one_batch_and_converges():
    fake = FakeIpvsadm()
    want = table_from_spec([
        {'address': '10.0.0.10', 'port': 80, 'scheduler': 'rr',
         'realservers': [{'address': '10.0.0.11', 'weight': 2}, {'address': '10.0.0.13'}]},
        {'address': '2001:db8::1', 'port': 80, 'realservers': [{'address': '2001:db8::2'}]},
    ])
    result = converge(Runner(fake), want, timeouts={'udp': 60})
    assert result['changed'] and len(fake.writes()) == 1
    assert fake.sim.table == want
    assert fake.sim.timeouts['udp'] == 60
    assert fake.writes()[0][1].splitlines()[-1] == '--set 0 0 60'
    assert result['table']['after'] == want.to_data()
    assert len(result['table']['before']) == 2
    # A second run is a no-op.
    fake.calls = []
    assert converge(Runner(fake), want, timeouts={'udp': 60})['changed'] is False
    assert fake.writes() == []


def test_thresholds_are_read_only_when_declared():
    fake = FakeIpvsadm()
    converge(Runner(fake), declared(LIVE))
    assert (['-Ln', '--thresholds'], None) not in fake.calls
    want = declared(LIVE)
    want.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)].upper_threshold = 9
    result = converge(Runner(fake), want)
    assert (['-Ln', '--thresholds'], None) in fake.calls
    assert result['commands'] == ['-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 1 -x 9']
    assert converge(Runner(fake), want)['changed'] is False


def test_scope_and_purge_false():
    fake = FakeIpvsadm()
    result = converge(Runner(fake), Table(), scope=['10.0.0.20'])
    assert result['commands'] == ['-D -t 10.0.0.20:443']
    result = converge(Runner(fake), Table(), purge=False)
    assert result['commands'] == []


def test_failed_batch_is_restored_and_reported():
    # The kernel rejects one line in the middle; ipvsadm carries on and the
    # last line succeeds, so rc is 0 and only stderr tells.
    fake = FakeIpvsadm(fail=lambda line, run: run == 1 and '10.0.0.13' in line)
    original = fake.sim.table.copy()
    want = declared(LIVE.replace('-A -t 10.0.0.20:443 -s rr', '-A -t 10.0.0.20:443 -s wlc')
                    + '-a -t 10.0.0.10:80 -r 10.0.0.13:80 -g -w 1\n'
                    + '-A -t 10.0.0.30:80 -s wlc\n-a -t 10.0.0.30:80 -r 10.0.0.31:80 -g -w 2\n')
    with pytest.raises(IpvsError) as err:
        converge(Runner(fake, 'ipvsadm'), want)
    res = err.value.to_result()
    assert res['cmd'] == 'ipvsadm -R' and res['rc'] == 0
    assert 'Memory allocation problem' in res['stderr']
    assert res['restore']['status'] == 'restored'
    assert 'restored' in res['msg'] and 'Memory allocation problem' in res['msg']
    assert res['commands'][-1] == '-a -t 10.0.0.30:80 -r 10.0.0.31:80 -g -w 2'
    assert fake.sim.table == original


def test_restore_falls_back_to_flush_and_reload():
    fake = FakeIpvsadm(fail=lambda line, run: run in (1, 2) and line.startswith('-D'))
    original = fake.sim.table.copy()
    want = declared('-A -t 10.0.0.10:80 -s rr\n-A -t 10.0.0.40:80 -s wlc\n')
    with pytest.raises(IpvsError) as err:
        converge(Runner(fake), want)
    assert err.value.details['restore']['status'] == 'restored_by_flush'
    assert fake.sim.table == original


def test_restore_unchanged_when_nothing_was_applied():
    fake = FakeIpvsadm(fail=lambda line, run: True)
    with pytest.raises(IpvsError) as err:
        converge(Runner(fake), Table())
    assert err.value.details['restore']['status'] == 'unchanged'
    assert err.value.details['rc'] == 255


def test_not_loaded_is_a_clear_error():
    fake = FakeIpvsadm(loaded=False)
    with pytest.raises(IpvsError) as err:
        converge(Runner(fake, '/usr/sbin/ipvsadm'), Table())
    assert 'modprobe ip_vs' in err.value.msg
    assert err.value.details['cmd'] == '/usr/sbin/ipvsadm -Sn'
    assert err.value.details['rc'] == 2


def test_other_read_errors_carry_command_and_stderr():
    def broken(args, data=None):
        return 1, '', 'boom\n'
    with pytest.raises(IpvsError) as err:
        Runner(broken, 'ipvsadm').read_timeouts()
    assert err.value.details == {'cmd': 'ipvsadm -Ln --timeout', 'rc': 1, 'stdout': '',
                                 'stderr': 'boom\n'}


def test_batch_errors_ignores_version_warning():
    warning = ('Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version 1.0.0\n'
               '  ipvsadm 1.31  requires minimum IPVS version 1.2.0\n\n')
    assert batch_errors(warning) == ''
    assert batch_errors(warning + 'No such service\n') == 'No such service'


def test_restore_file_reuses_the_read_when_the_table_is_unchanged():
    fake = FakeIpvsadm()
    result = converge(Runner(fake), declared(LIVE), timeouts={'udp': 60}, want_save=True)
    assert result['changed'] and fake.writes()[0][1] == '--set 0 0 60\n'
    assert result['restore_file'] == {'content': restore_file(LIVE), 'predicted': False}
    assert [c for c in fake.calls if c[0] == ['-Sn']] == [(['-Sn'], None)]
    assert 'restore_file' not in converge(Runner(fake), declared(LIVE))


def test_restore_file_reads_the_table_again_after_a_change():
    fake = FakeIpvsadm()
    want = declared(LIVE.replace('10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 3'))
    result = converge(Runner(fake), want, want_save=True)
    assert [c[0] for c in fake.calls] == [['-Sn'], ['-R'], ['-Sn']]
    assert result['restore_file'] == {'content': restore_file(fake(['ipvsadm', '-Sn'])[1]),
                                      'predicted': False}
    assert '-r 10.0.0.12:80 -g -w 3\n' in result['restore_file']['content']


def test_restore_file_in_check_mode_is_predicted_from_the_target():
    fake = FakeIpvsadm()
    want = declared(LIVE.replace('10.0.0.12:80 -g -w 1', '10.0.0.12:80 -g -w 3'))
    want.services[('tcp', '10.0.0.10', 80)].realservers[('10.0.0.11', 80)].upper_threshold = 9
    result = converge(Runner(fake), want, check_mode=True, want_save=True)
    assert fake.writes() == [] and result['restore_file']['predicted'] is True
    # -Sn shows no thresholds, so neither does the prediction.
    assert result['restore_file']['content'] == restore_file(want.render(thresholds=False))
    assert ' -x ' not in result['restore_file']['content']


def test_read_info_lists_through_run_and_reports_not_loaded():
    info = Runner(FakeIpvsadm(loaded=False)).read_info()
    assert info['loaded'] is False and info['error'] == NOT_LOADED.strip()
    calls = []

    def ipvsadm(args, data=None):
        calls.append(args[1:])
        if args[1:] == ['-Ln', '--timeout']:
            return 0, 'Timeout (tcp tcpfin udp): 900 120 300\n', ''
        return 0, '', ''
    info = Runner(ipvsadm).read_info(stats=False, rates=True, thresholds=True)
    assert info['loaded'] is True and info['services'] == [] and info['daemons'] == []
    assert calls == [['-Ln'], ['-Ln', '--rate', '--exact'], ['-Ln', '--thresholds'],
                     ['-Ln', '--timeout'], ['-Ln', '--daemon']]
