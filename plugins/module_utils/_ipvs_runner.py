# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin glue between the pure IPVS core and one ``ipvsadm`` binary.

All I/O goes through ``run_command(args, data) -> (rc, stdout, stderr)``:
the ``ipvs`` and ``ipvs_info`` modules pass ``module.run_command``, the
benchmark passes subprocess, the tests pass a fake.  Keeping the glue here
(not in the modules) means the benchmark measures exactly the code path the
module runs, and both modules read and fail the same way.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import re

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_save, restore_file
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import parse_timeouts, render_timeouts, timeouts_command
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_delta import (
    compute_delta, diff_tables,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_listing import (
    build_info, ipvs_not_loaded, merge_thresholds, not_loaded_info, parse_list, parse_thresholds,
)

# check_ipvs_version() prints this block on every run against an old kernel;
# it is not an error of the batch.
_VERSION_WARNING = re.compile(r'Warning: IPVS version mismatch:.*?\n\n', re.S)


def batch_errors(stderr):
    """Error text of an ``ipvsadm -R`` run.

    ipvsadm -R keeps going after a line the kernel rejects and exits with the
    status of the *last* line only, so stderr, not rc, is the reliable sign
    that some line failed.
    """
    return _VERSION_WARNING.sub('', stderr or '').strip()


class IpvsNotLoaded(IpvsError):
    """ipvsadm could not reach IPVS: the kernel has no (loadable) ip_vs."""


class Runner(object):
    def __init__(self, run_command, ipvsadm='ipvsadm'):
        self.run_command = run_command
        self.ipvsadm = ipvsadm
        # The text of the last ``ipvsadm -Sn`` read, for the restore file.
        self.last_save = None

    def run(self, args, data=None):
        cmd = [self.ipvsadm] + list(args)
        rc, out, err = self.run_command(cmd, data)
        if rc != 0:
            if ipvs_not_loaded(err):
                raise IpvsNotLoaded(
                    'IPVS is not available: ipvsadm could not talk to the ip_vs '
                    'kernel module. Load it with "modprobe ip_vs" (ipvsadm tries '
                    'that itself when run as root) or use a kernel with IPVS.',
                    cmd=' '.join(cmd), rc=rc, stdout=out, stderr=err)
            raise IpvsError('%s failed (rc=%d): %s' % (' '.join(cmd), rc, (err or out).strip()),
                            cmd=' '.join(cmd), rc=rc, stdout=out, stderr=err)
        return out

    def read_save(self):
        """``ipvsadm -Sn`` as text (also kept as ``last_save``)."""
        self.last_save = self.run(['-Sn'])
        return self.last_save

    def read_table(self, thresholds=False):
        table = parse_save(self.read_save())
        if thresholds:
            merge_thresholds(table, parse_thresholds(self.run(['-Ln', '--thresholds'])))
        return table

    def read_timeouts(self):
        return parse_timeouts(self.run(['-Ln', '--timeout']))

    def read_info(self, stats=True, rates=False, thresholds=False):
        """The ``ipvs`` fact of ipvs_info: one ipvsadm run per listing.

        Without IPVS in the kernel this is ``loaded: false``, not an error.
        """
        try:
            listing = parse_list(self.run(['-Ln']))
            return build_info(
                listing,
                stats=self.run(['-Ln', '--stats', '--exact']) if stats else None,
                rates=self.run(['-Ln', '--rate', '--exact']) if rates else None,
                thresholds=self.run(['-Ln', '--thresholds']) if thresholds else None,
                timeouts=self.run(['-Ln', '--timeout']),
                daemon=self.run(['-Ln', '--daemon']),
            )
        except IpvsNotLoaded as exc:
            return not_loaded_info(exc.details['stderr'])

    def apply(self, stdin):
        """One ``ipvsadm -R`` process; returns ``(ok, rc, stdout, stderr)``."""
        rc, out, err = self.run_command([self.ipvsadm, '-R'], stdin)
        return rc == 0 and not batch_errors(err), rc, out, err

    def restore(self, original, original_timeouts=None, thresholds=False):
        """Bring the live table back to ``original`` after a failed batch.

        First the inverse delta from what is live now (ipvsadm does not say
        which line failed, so re-reading is the only reliable way to know the
        applied prefix); only if that does not converge, flush and reload
        the whole table in one process, which keeps the empty window as short
        as a single ``-R`` run.
        """
        report = {'status': 'failed', 'commands': []}
        try:
            live = self.read_table(thresholds)
            delta = diff_tables(live, original)
            if original_timeouts:
                line = timeouts_command(self.read_timeouts(), original_timeouts)
                if line:
                    delta.phases['timeouts'].append(line)
            if not delta:
                report['status'] = 'unchanged'
                return report
            report['commands'] = delta.commands
            ok, rc, _out, err = self.apply(delta.stdin())
            if ok and self.read_table(thresholds) == original:
                report['status'] = 'restored'
                return report
            report['inverse_error'] = batch_errors(err) or 'rc=%d' % rc
            stdin = '-C\n' + original.render()
            if original_timeouts:
                stdin += render_timeouts(original_timeouts)
            ok, rc, _out, err = self.apply(stdin)
            report['commands'] = ['-C', '(full table: %d services)' % len(original)]
            if ok and self.read_table(thresholds) == original:
                report['status'] = 'restored_by_flush'
            else:
                report['error'] = batch_errors(err) or 'rc=%d' % rc
        except IpvsError as exc:
            report['error'] = exc.msg
        return report


def table_data(live, target, changed):
    """Both tables as data, converting each unchanged service once.

    Converting a service sorts its real servers; at 10,000 services doing that
    twice per run cost more than reading and diffing the table.
    """
    before, by_key = [], {}
    for svc in live.sorted_services():
        data = svc.to_data()
        before.append(data)
        by_key[svc.key] = (svc, data)
    if not changed:
        return {'before': before, 'after': before}
    after = []
    for svc in target.sorted_services():
        hit = by_key.get(svc.key)
        after.append(hit[1] if hit is not None and hit[0] == svc else svc.to_data())
    return {'before': before, 'after': after}


def converge(runner, declared, purge=True, scope=None, timeouts=None, check_mode=False,
             want_diff=False, want_table=True, want_save=False):
    """Read, diff, and (unless check mode or nothing differs) apply one batch.

    ``want_save`` adds ``restore_file``: see :func:`_restore_file`.
    """
    thresholds = any(rs.upper_threshold or rs.lower_threshold
                     for svc in declared.services.values()
                     for rs in svc.realservers.values())
    live = runner.read_table(thresholds)
    live_timeouts = runner.read_timeouts() if timeouts else None
    target, delta = compute_delta(live, declared, purge, scope, live_timeouts, timeouts)
    result = {'changed': bool(delta), 'commands': delta.commands,
              'summary': delta.summary()}
    if want_table:
        result['table'] = table_data(live, target, bool(delta))
    if timeouts:
        after_timeouts = dict(live_timeouts)
        after_timeouts.update(timeouts)
        result['timeouts'] = {'before': live_timeouts, 'after': after_timeouts}
    if want_diff:
        before_text, after_text = live.render(), target.render()
        if timeouts:
            before_text += render_timeouts(live_timeouts)
            after_text += render_timeouts(after_timeouts)
        result['diff'] = {'before': before_text, 'after': after_text,
                          'before_header': 'ipvsadm -Sn (live)',
                          'after_header': 'ipvsadm -Sn (declared)'}
    if not delta or check_mode:
        if want_save:
            result['restore_file'] = _restore_file(runner, delta, target, check_mode)
        return result
    ok, rc, out, err = runner.apply(delta.stdin())
    if not ok:
        restore = runner.restore(live, live_timeouts, thresholds)
        raise IpvsError(
            'ipvsadm -R failed: %s; the table read before the run was %s'
            % (batch_errors(err) or 'rc=%d' % rc,
               {'restored': 'restored', 'restored_by_flush': 'restored (flush and reload)',
                'unchanged': 'left unchanged'}.get(restore['status'], 'NOT restored')),
            cmd='%s -R' % runner.ipvsadm, rc=rc, stdout=out, stderr=err,
            commands=delta.commands, restore=restore)
    if want_save:
        result['restore_file'] = _restore_file(runner, delta, target, check_mode)
    return result


def _restore_file(runner, delta, target, check_mode):
    """``{'content', 'predicted'}``: the boot-time restore file of the table after the run.

    ``ipvsadm -Sn`` is what the file must hold.  An unchanged table (timeouts
    are not part of it) reuses the run's own read; a changed one is read again
    after the batch.  In check mode a changed table cannot be read, so the file
    is predicted from the target table in canonical form (``predicted``).
    """
    table_changed = any(delta.phases[name] for name in delta.phases if name != 'timeouts')
    if not table_changed:
        return {'content': restore_file(runner.last_save), 'predicted': False}
    if check_mode:
        return {'content': restore_file(target.render(thresholds=False)), 'predicted': True}
    return {'content': restore_file(runner.read_save()), 'predicted': False}
