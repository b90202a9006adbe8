# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thin glue between the pure IPVS core and the kernel: ``ipvsadm`` or generic netlink.

Two backends with one interface (``read_table``, ``read_save``,
``read_timeouts``, ``read_info``, ``apply``, ``restore``), so :func:`converge`
is one code path for both.  :class:`Runner` does all I/O through
``run_command(args, data) -> (rc, stdout, stderr)``: the ``ipvs`` and
``ipvs_info`` modules pass ``module.run_command``, the benchmark passes
subprocess, the tests pass a fake.  :class:`NetlinkRunner` talks to the IPVS
generic netlink family through a ``_ipvs_netlink.GenlSocket`` (tests pass a
fake transport).  Keeping the glue here (not in the modules) means the
benchmark measures exactly the code path the module runs, and both modules
read and fail the same way.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import contextlib
import gc
import re

from ansible_collections.lvs.cluster.plugins.module_utils._inet import service_key, sort_key
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError, Service, Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import (
    parse_rule, parse_save, restore_file,
)
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_proc
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_netlink import (
    DumpInterrupted, GenlSocket, NetlinkError, errno_text,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_timeouts import parse_timeouts, render_timeouts, timeouts_command
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_delta import (
    compute_delta, diff_tables, parse_exclude,
)
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_listing import (
    RATE_KEYS, STAT_KEYS, build_info, ipvs_not_loaded, merge_thresholds, not_loaded_info,
    parse_list, parse_thresholds,
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


class _RunnerBase(object):
    """What both backends share: the restore after a failed batch."""

    def restore(self, original, original_timeouts=None, thresholds=False):
        """Bring the live table back to ``original`` after a failed batch.

        First the inverse delta from what is live now (ipvsadm does not say
        which line failed, so re-reading is the only reliable way to know the
        applied prefix; netlink does say, but a re-read also covers a batch
        cut short by a lost reply); only if that does not converge, flush and
        reload the whole table in one batch, which keeps the empty window as
        short as a single ``-R`` run.
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


class Runner(_RunnerBase):
    """The ``ipvsadm`` backend: ``-Sn``/``-Ln`` reads, one ``-R`` process per batch."""

    backend = 'ipvsadm'

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

    def saved_restore_file(self):
        """The restore file of the table last read (``ipvsadm -Sn`` text, sorted)."""
        return restore_file(self.last_save)

    def read_restore_file(self, reference=None):
        """The restore file of the live table, read now."""
        self.read_save()
        return self.saved_restore_file()

    def read_table(self, thresholds=False, reference=None):
        # ``reference``: see NetlinkRunner.read_table; text parsing gains nothing from it.
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

    @property
    def batch_cmd(self):
        return '%s -R' % self.ipvsadm

    def apply(self, stdin):
        """One ``ipvsadm -R`` process; returns ``(ok, rc, stdout, stderr)``."""
        rc, out, err = self.run_command([self.ipvsadm, '-R'], stdin)
        return rc == 0 and not batch_errors(err), rc, out, err


class NetlinkRunner(_RunnerBase):
    """The netlink backend: the same reads and batch as :class:`Runner`, over one socket.

    ``transport`` is a ``_ipvs_netlink.GenlSocket`` (tests pass a fake with
    ``dump``, ``request`` and ``batch``).  The table is read as data, never as
    text; ``last_save`` (the restore file's source) is rendered from it in
    ``ipvsadm -Sn`` form on demand.  ``apply`` takes the batch in the same
    ``ipvsadm -R`` text that :meth:`Runner.apply` takes, so ``converge`` and
    the restore are one code path for both backends, and each failure is
    reported as the rule line whose request the kernel refused.
    """

    backend = 'netlink'
    batch_cmd = 'IPVS netlink batch'
    ipvsadm = None

    def __init__(self, transport, read_proc=None):
        self.nl = transport
        # ``read_proc()`` returns the text of /proc/net/ip_vs (see _ipvs_proc);
        # None reads every service's destinations over netlink.
        self.read_proc = read_proc
        self._save_table = None

    @property
    def last_save(self):
        if self._save_table is None:
            return None
        return save_text(self._save_table)

    def saved_restore_file(self):
        """The restore file of the table last read, rendered from data (see :func:`restore_text`)."""
        return restore_text(self._save_table or Table())

    def read_restore_file(self, reference=None):
        """The restore file of the live table, read now (``reference``: see :meth:`read_table`)."""
        self.read_table(reference=reference)
        return self.saved_restore_file()

    def _services(self, with_stats=False):
        seen = {}
        for payload in self.nl.dump(codec.IPVS_CMD_GET_SERVICE):
            item = codec.parse_service(payload, with_stats=with_stats)
            svc = item[0] if with_stats else item
            if svc.key in seen:
                raise codec.MalformedReply('malformed IPVS netlink reply (GET_SERVICE dump): '
                                           'service %s listed twice' % svc.spec)
            seen[svc.key] = item
        return seen

    def _dests(self, svc, with_extra=False):
        return [codec.parse_dest(payload, svc, with_extra=with_extra)
                for payload in self.nl.dump(codec.IPVS_CMD_GET_DEST, codec.get_dests_request(svc))]

    def _listed(self, thresholds, reference=None):
        """``(listed, partial)`` of /proc/net/ip_vs (``_ipvs_proc.parse``), or nothing listed.

        The file is a shortcut, never the only source: when it cannot be read
        or parsed, or thresholds are wanted (it has none), every service's
        real servers are dumped over netlink, which reads the same table.
        """
        if self.read_proc is None or thresholds:
            return {}, set()
        try:
            return _ipvs_proc.parse(self.read_proc(), reference)
        except (OSError, ValueError, IpvsError):
            return {}, set()

    def read_table(self, thresholds=False, reference=None):
        """The live table; thresholds zeroed unless asked for, as ``-Sn`` cannot show them.

        Services (and all their attributes) come from the GET_SERVICE dump.
        Their real servers come from one read of /proc/net/ip_vs where that
        shows all of them, else from the service's GET_DEST dump.  The file
        is read first, so a service created after it is not in it and is
        dumped.

        ``reference`` (a Table; converge passes the declared one) never changes
        what is read, only what it is built of: a live service equal to the
        reference's service with the same key is that Service object.  A run
        that finds the table as declared so builds no second copy of it, which
        was most of a no-op run's time in the lab VM (see ``_ipvs_proc.parse``).
        Nothing mutates a read table, so sharing the objects is safe.
        """
        for _attempt in range(3):
            try:
                table = Table()
                table.services = self._read_services(thresholds, reference)
                self._save_table = table
                return table
            except DumpInterrupted:
                continue
        raise NetlinkError('GET_SERVICE dump', why='the table kept changing while it was read '
                           '(3 attempts)')

    def _read_services(self, thresholds, reference):
        listed, partial = self._listed(thresholds, reference)
        refs = reference.services if reference is not None else {}
        services = {}
        # Streamed: each message is parsed as it arrives, and where it matches
        # the reference nothing of it is kept.  Services the file does not
        # fully show are dumped after the stream: the socket takes no second
        # dump while one is running.
        unlisted = []
        seen = {}
        match = codec.reference_service
        payloads = self.nl.stream(codec.IPVS_CMD_GET_SERVICE)
        try:
            for payload in payloads:
                # A message that is the reference's service, whose real servers
                # the file showed to be the reference's own, is that service.
                ref = match(payload, refs, seen) if refs else None
                if ref is not None:
                    key = ref.key
                    if (listed.get(key) is ref.realservers and key not in partial
                            and key not in services):
                        services[key] = ref
                        continue
                svc = self._one_service(payload, services, listed, partial, refs, reference)
                if svc is not None:
                    unlisted.append(svc)
        finally:
            close = getattr(payloads, 'close', None)
            if close is not None:
                close()
        for svc in unlisted:
            servers = svc.realservers
            for rs in self._dests(svc):
                if not thresholds:
                    rs.upper_threshold = rs.lower_threshold = 0
                servers[rs.key] = rs
            ref = refs.get(svc.key)
            if ref is not None and ref == svc:
                services[svc.key] = ref
        return services

    @staticmethod
    def _one_service(payload, services, listed, partial, refs, reference):
        """Add the service of one GET_SERVICE message; return it if its real servers are unread."""
        fields = codec.service_args(payload)
        protocol, address, port, fwmark, family = fields[:5]
        key = service_key(protocol, address, port, fwmark, family)
        if key in services:
            raise codec.MalformedReply('malformed IPVS netlink reply (GET_SERVICE dump): '
                                       'service %s listed twice' % services[key].spec)
        ref = refs.get(key)
        ident = _ipvs_proc.identity(key)
        found = listed.get(ident)
        if found is not None and ident not in partial:
            if ref is not None and found is ref.realservers and ref.attrs() == fields[5:]:
                services[ref.key] = ref
                return None
            svc = Service(*fields)
            # A copy where the dict may be a reference service's own.
            svc.realservers = found if reference is None else dict(found)
            services[key] = svc
            return None
        svc = services[key] = Service(*fields)
        return svc

    def read_save(self):
        """The live table in ``ipvsadm -Sn`` form (rendered, canonical order)."""
        self.read_table()
        return self.last_save

    def read_timeouts(self):
        replies = self.nl.request(codec.IPVS_CMD_GET_CONFIG)
        if not replies:
            raise codec.MalformedReply('malformed IPVS netlink reply (GET_CONFIG): no reply')
        return codec.parse_timeouts(replies[0])

    def read_info(self, stats=True, rates=False, thresholds=False):
        """The ``ipvs`` fact of ipvs_info, in the shape :meth:`Runner.read_info` gives."""
        replies = self.nl.request(codec.IPVS_CMD_GET_INFO)
        if not replies:
            raise codec.MalformedReply('malformed IPVS netlink reply (GET_INFO): no reply')
        version, size = codec.parse_info(replies[0])
        services = []
        found = self._services(with_stats=True)
        for svc, counters in sorted(found.values(), key=lambda item: item[0].sort_key()):
            data = svc.to_data()
            realservers = []
            dests = self._dests(svc, with_extra=True)
            dests.sort(key=lambda item: (sort_key(item[0].address), item[0].port))
            for rs, extra in dests:
                entry = {'address': rs.address, 'port': rs.port, 'forward': extra['forward'],
                         'weight': rs.weight, 'active_conns': extra['active_conns'],
                         'inactive_conns': extra['inactive_conns']}
                _counters(entry, extra['stats'], stats, rates)
                if thresholds:
                    entry['upper_threshold'] = rs.upper_threshold
                    entry['lower_threshold'] = rs.lower_threshold
                realservers.append(entry)
            data['realservers'] = realservers
            _counters(data, counters, stats, rates)
            data['active_conns'] = sum(rs['active_conns'] for rs in realservers)
            data['inactive_conns'] = sum(rs['inactive_conns'] for rs in realservers)
            services.append(data)
        return {'loaded': True, 'version': version, 'size': size, 'services': services,
                'timeouts': self.read_timeouts(),
                'daemons': [codec.parse_daemon(payload)
                            for payload in self.nl.dump(codec.IPVS_CMD_GET_DAEMON)]}

    def apply(self, stdin):
        """Send the batch; ``(ok, rc, stdout, stderr)`` like :meth:`Runner.apply`.

        stderr has one line per refused request: the rule line, then the
        kernel's errno text.  A transport failure half-way (a lost reply) is a
        failed batch too, so ``converge`` restores.
        """
        lines = [line for line in stdin.splitlines() if line.strip()]
        requests = [codec.command_request(parse_rule(line, 'batch line %d' % number))
                    for number, line in enumerate(lines, 1)]
        try:
            failures, not_sent = self.nl.batch(requests)
        except IpvsError as exc:
            return False, 1, '', exc.msg + '\n'
        if not failures:
            return True, 0, '', ''
        err = ['%s: %s' % (lines[index], errno_text(number) + (': ' + message if message else ''))
               for index, number, message in failures]
        if not_sent:
            err.append('(%d later command%s not sent)' % (not_sent, '' if not_sent == 1 else 's'))
        return False, 1, '', '\n'.join(err) + '\n'


def save_text(table):
    """The text ``ipvsadm -Sn`` (1.31) prints for ``table``, line for line.

    :meth:`Table.render` without thresholds, except that ipvsadm also names the
    default tunnel type (``-i -w 1 --tun-type ipip``), so a restore file written
    from netlink data is byte for byte the one written from ``ipvsadm -Sn``.
    """
    lines = []
    for svc in table.sorted_services():
        lines.append('-A %s %s\n' % (svc.spec, svc.options()))
        for rs in svc.sorted_realservers():
            tail = ' --tun-type ipip\n' if rs.tun_type == 'ipip' else '\n'
            lines.append('-a %s %s%s' % (svc.spec, rs.options(thresholds=False), tail))
    return ''.join(lines)


def restore_text(table):
    """``restore_file(save_text(table))``, built without the orders the file's sort undoes.

    The restore file sorts all its lines, so rendering the services and
    their real servers in ``ipvsadm -Sn`` order first (two sorts by address)
    only to split and sort the text again was wasted: at 10,000 services x 4,
    with the director role's ``save``, that tripled a no-op run in the lab VM.
    """
    lines = []
    add = lines.append
    for svc in table.services.values():
        add('-A %s %s' % (svc.spec, svc.options()))
        head = '-a %s ' % svc.spec
        for rs in svc.realservers.values():
            line = head + rs.options(thresholds=False)
            # ipvsadm names the default tunnel type (see save_text).
            add(line + ' --tun-type ipip' if rs.tun_type == 'ipip' else line)
    if not lines:
        return ''
    lines.sort()
    return '\n'.join(lines) + '\n'


def _counters(entry, counters, stats, rates):
    if stats:
        entry['stats'] = dict((k, counters[k]) for k in STAT_KEYS) if counters else None
    if rates:
        entry['rates'] = dict((k, counters[k]) for k in RATE_KEYS) if counters else None


BACKENDS = ('auto', 'netlink', 'ipvsadm')


def read_proc_ip_vs():
    """The lines of /proc/net/ip_vs, read as they are parsed.

    Line by line, not as one string: the kernel hands out about 4 KiB per
    read anyway, and 10,000 services are 2.7 MB of text that would otherwise
    be allocated twice (bytes, then str) only to be split and dropped.
    """
    with open(_ipvs_proc.PATH, encoding='ascii') as handle:
        yield from handle


def open_netlink():
    """A NetlinkRunner on a fresh socket (FamilyMissing/NetlinkError when IPVS has none)."""
    return NetlinkRunner(GenlSocket(), read_proc_ip_vs)


def select_backend(backend, run_command, find_ipvsadm, open_nl=None):
    """``(runner, why netlink was not used or None)`` for the ``backend`` option.

    ``auto`` takes netlink when the IPVS generic netlink family resolves, else
    ipvsadm; ``netlink`` fails when it does not resolve.  ``find_ipvsadm()``
    returns the ipvsadm path or None (only asked for when ipvsadm is used).
    """
    if backend not in BACKENDS:
        raise IpvsError('backend: %r is not one of %s' % (backend, ', '.join(BACKENDS)))
    reason = None
    if backend != 'ipvsadm':
        try:
            return (open_nl or open_netlink)(), None
        except NetlinkError as exc:
            if backend == 'netlink':
                raise
            reason = exc.msg
    ipvsadm = find_ipvsadm()
    if not ipvsadm:
        if reason:
            raise IpvsError('IPVS is not reachable: %s; and the fallback, ipvsadm, is not '
                            'installed' % reason, netlink_error=reason)
        raise IpvsError('backend ipvsadm: the ipvsadm binary was not found')
    return Runner(run_command, ipvsadm), reason


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


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off for a bulk read or build.

    Building a 10,000 service table allocates some 100,000 objects and sets
    the collector off dozens of times, though none of them can be garbage
    yet; in the lab VM that was a quarter of a no-op run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def converge(runner, declared, purge=True, scope=None, timeouts=None, check_mode=False,
             want_diff=False, want_table=True, want_save=False, exclude=None):
    """Read, diff, and (unless check mode or nothing differs) apply one batch.

    ``want_save`` adds ``restore_file``: see :func:`_restore_file`.  ``exclude``
    lists the keys of services another writer owns (keepalived's checker): never
    changed, never purged, never saved (that writer restores them itself).
    """
    with collector_paused():
        return _converge(runner, declared, purge, scope, timeouts, check_mode, want_diff,
                         want_table, want_save, exclude)


def _converge(runner, declared, purge, scope, timeouts, check_mode, want_diff, want_table,
              want_save, exclude):
    thresholds = any(rs.upper_threshold or rs.lower_threshold
                     for svc in declared.services.values()
                     for rs in svc.realservers.values())
    live = runner.read_table(thresholds, reference=declared)
    live_timeouts = runner.read_timeouts() if timeouts else None
    target, delta = compute_delta(live, declared, purge, scope, live_timeouts, timeouts, exclude)
    excluded = parse_exclude(exclude) if exclude else set()
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
            result['restore_file'] = _restore_file(runner, delta, target, check_mode, excluded)
        return result
    ok, rc, out, err = runner.apply(delta.stdin())
    if not ok:
        restore = runner.restore(live, live_timeouts, thresholds)
        raise IpvsError(
            '%s failed: %s; the table read before the run was %s'
            % ('ipvsadm -R' if runner.backend == 'ipvsadm' else runner.batch_cmd,
               batch_errors(err) or 'rc=%d' % rc,
               {'restored': 'restored', 'restored_by_flush': 'restored (flush and reload)',
                'unchanged': 'left unchanged'}.get(restore['status'], 'NOT restored')),
            cmd=runner.batch_cmd, rc=rc, stdout=out, stderr=err,
            commands=delta.commands, restore=restore)
    if want_save:
        result['restore_file'] = _restore_file(runner, delta, target, check_mode, excluded)
    return result


def _restore_file(runner, delta, target, check_mode, excluded=frozenset()):
    """``{'content', 'predicted'}``: the boot-time restore file of the table after the run.

    ``ipvsadm -Sn`` is what the file must hold.  An unchanged table (timeouts
    are not part of it) reuses the run's own read; a changed one is read again
    after the batch.  In check mode a changed table cannot be read, so the file
    is predicted from the target table in canonical form (``predicted``).
    Services in ``excluded`` are left out: their writer restores them.
    """
    table_changed = any(delta.phases[name] for name in delta.phases if name != 'timeouts')
    if excluded:
        if check_mode and table_changed:
            table, predicted = target, True
        else:
            table, predicted = (runner.read_table(reference=target) if table_changed
                                else target), False
        kept = Table()
        kept.services = dict((k, v) for k, v in table.services.items() if k not in excluded)
        return {'content': restore_text(kept), 'predicted': predicted}
    if not table_changed:
        return {'content': runner.saved_restore_file(), 'predicted': False}
    if check_mode:
        return {'content': restore_file(target.render(thresholds=False)), 'predicted': True}
    return {'content': runner.read_restore_file(reference=target), 'predicted': False}
