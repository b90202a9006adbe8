#!/usr/bin/env python3
"""Run Molecule scenarios one after another, as `make molecule` does.

Why not a plain loop: CI keeps only the tail of the output, and Molecule's tail says which
step failed, not which task or why.  Each scenario's full output goes to
.tmp/molecule-<scenario>.log, and when a scenario fails the failing tasks' messages are
printed again at the very end.

A scenario that fails is run once more from scratch (`--retry 0` turns this off).  A pass on
the second run is reported as FLAKY with the first run's failure, in the final summary, so a
flake is visible and can be chased, while one lab hiccup on a 40-minute run does not hide
every other result.  Two failures fail the run.
"""

import argparse
import os
import re
import subprocess
import sys
import time

ANSI = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
# Lines that start a failure report in Ansible/Molecule output.
FAILURE = re.compile(r'(fatal: \[|failed: \[|FAILED! =>|ERROR\s|Traceback|AssertionError)')


def failure_excerpt(text, before=4, after=25, limit=120):
    lines = [ANSI.sub('', line).replace('\u2502', '').rstrip() for line in text.splitlines()]
    picked, last = [], -1
    for index, line in enumerate(lines):
        if FAILURE.search(line):
            start = max(index - before, last + 1)
            if start > last + 1 and picked:
                picked.append('  ...')
            picked.extend(lines[start:index + after + 1])
            last = index + after
    return picked[-limit:]


def run_once(molecule, scenario, log_path):
    started = time.time()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen([molecule, 'test', '-s', scenario], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True, errors='replace')
        for line in proc.stdout:
            sys.stdout.write(line)
            log.write(line)
        rc = proc.wait()
    return rc, time.time() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('scenarios', nargs='+')
    parser.add_argument('--retry', type=int, default=1, help='extra runs of a failed scenario (default 1)')
    parser.add_argument('--molecule', default='molecule')
    parser.add_argument('--logs', default='.tmp')
    args = parser.parse_args()
    os.makedirs(args.logs, exist_ok=True)
    summary, failed, excerpts = [], None, []
    for scenario in args.scenarios:
        attempts = []
        for attempt in range(1 + max(args.retry, 0)):
            log_path = os.path.join(args.logs, 'molecule-%s%s.log' % (scenario, '' if attempt == 0 else '-retry%d' % attempt))
            rc, seconds = run_once(args.molecule, scenario, log_path)
            with open(log_path) as handle:
                excerpt = failure_excerpt(handle.read()) if rc else []
            attempts.append((rc, seconds, log_path, excerpt))
            if rc == 0:
                break
        rc, seconds, log_path, _excerpt = attempts[-1]
        excerpts.extend((scenario, path, excerpt) for code, _s, path, excerpt in attempts if code)
        if rc == 0 and len(attempts) == 1:
            summary.append('[molecule] scenario %s passed in %d s' % (scenario, seconds))
        elif rc == 0:
            summary.append('[molecule] scenario %s FLAKY: failed once (log %s), passed on retry in %d s'
                           % (scenario, attempts[0][2], seconds))
        else:
            summary.append('[molecule] scenario %s FAILED %d time(s); last log %s' % (scenario, len(attempts), log_path))
            failed = scenario
        print(summary[-1], flush=True)
        if failed:
            break
    # Last, so the cause of every failed run is in the tail CI keeps.
    for scenario, path, excerpt in excerpts:
        print('\n---------- failing tasks of scenario %s (%s) ----------' % (scenario, path))
        print('\n'.join(excerpt) or '(no task failure found in the log)')
    print('\n========== Molecule summary ==========')
    for line in summary:
        print(line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
