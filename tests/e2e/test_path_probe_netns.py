# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""lvs.cluster.path_probe on a real kernel: two network namespaces joined by a veth pair, a
director (which holds the VIP itself, as a real one does) and a DR real server (VIPs on its
loopback, a listener on every address). Nothing touches the host's own namespace.

The DR frames, checksums and answer parsing meet a real TCP stack here, IPv4 and IPv6; the
lab's Molecule scenarios add TUN (this host kernel has no ipip) and the full cluster. Needs
root and veth; skipped without them.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys
import time

import pytest

from test_validate_playbook import ROOT

NS, DIRECTOR, DIR_IF, NS_IF = 'lvs-pp-rs', 'lvs-pp-dir', 'lvs-pp-d', 'lvs-pp-r'
PORT = 18080
COLLECTIONS = os.path.join(ROOT, '.tmp', 'collections')
CONNECT = 'import socket; socket.create_connection((%r, %d), 1).close()'


def sh(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def in_ns(*argv):
    return sh('ip', 'netns', 'exec', NS, *argv)


def in_director(*argv):
    return sh('ip', 'netns', 'exec', DIRECTOR, *argv)


def cleanup():
    sh('ip', 'netns', 'del', NS)
    sh('ip', 'netns', 'del', DIRECTOR)


@pytest.fixture(scope='module')
def realserver():
    if os.geteuid() != 0:
        pytest.skip('needs root (network namespaces, packet sockets)')
    cleanup()
    if (sh('ip', 'netns', 'add', NS).returncode or sh('ip', 'netns', 'add', DIRECTOR).returncode
            # No duplicate address detection: a tentative link-local address delays the neighbour
            # discovery the IPv6 probe needs.
            or in_ns('sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0').returncode
            or in_director('sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0').returncode
            or in_director('ip', 'link', 'add', DIR_IF, 'type', 'veth', 'peer', 'name', NS_IF, 'netns', NS).returncode):
        cleanup()
        pytest.skip('no network namespaces or veth here')
    server = None
    try:
        for argv in (['ip', 'addr', 'add', '10.99.0.1/24', 'dev', DIR_IF],
                     ['ip', '-6', 'addr', 'add', 'fd99::1/64', 'dev', DIR_IF, 'nodad'],
                     ['ip', 'link', 'set', DIR_IF, 'up'], ['ip', 'link', 'set', 'lo', 'up'],
                     # The director's own VIP: the real server's answer (from the VIP) is then
                     # dropped by the director's IP stack, which sends no RST of its own.
                     ['ip', 'addr', 'add', '10.99.9.10/32', 'dev', 'lo']):
            assert in_director(*argv).returncode == 0, argv
        for argv in (['ip', 'addr', 'add', '10.99.0.2/24', 'dev', NS_IF],
                     ['ip', '-6', 'addr', 'add', 'fd99::2/64', 'dev', NS_IF, 'nodad'],
                     ['ip', 'link', 'set', NS_IF, 'up'], ['ip', 'link', 'set', 'lo', 'up'],
                     ['ip', 'addr', 'add', '10.99.9.10/32', 'dev', 'lo'],
                     ['ip', '-6', 'addr', 'add', 'fd99:9::10/128', 'dev', 'lo', 'nodad']):
            assert in_ns(*argv).returncode == 0, argv
        server = subprocess.Popen(['ip', 'netns', 'exec', NS, sys.executable, '-m', 'http.server', '--bind', '::',
                                   str(PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while ':%d ' % PORT not in in_ns('ss', '-ltnH').stdout:
            assert time.monotonic() < deadline, 'the listener did not come up'
            time.sleep(0.05)
        # A fresh namespace's IPv6 neighbour discovery can take a second or more: the segment is
        # up once each side reaches the other.
        while in_director(sys.executable, '-c', CONNECT % ('fd99::2', PORT)).returncode:
            assert time.monotonic() < deadline, 'the veth segment did not come up for IPv6'
        yield
    finally:
        if server:
            server.kill()
            server.wait()
        cleanup()


def run(probes):
    args = os.path.join(ROOT, '.tmp', 'path_probe_args.json')
    with open(args, 'w') as handle:
        json.dump({'ANSIBLE_MODULE_ARGS': {'probes': probes, 'fail_on_error': False, 'timeout': 1}}, handle)
    out = subprocess.run(['ip', 'netns', 'exec', DIRECTOR, sys.executable, '-m',
                          'ansible_collections.lvs.cluster.plugins.modules.path_probe', args],
                         capture_output=True, text=True, check=False, cwd=COLLECTIONS, env=dict(os.environ, PYTHONPATH=COLLECTIONS))
    return json.loads(out.stdout)


def dr(vip, rip, port=PORT):
    return {'name': 'web', 'host': 'rs', 'mode': 'dr', 'vip': vip, 'port': port, 'rip': rip, 'rport': port}


def test_dr_real_server_answers_from_its_vip_both_families(realserver):
    got = run([dr('10.99.9.10', '10.99.0.2'), dr('fd99:9::10', 'fd99::2')])
    assert [(p['ok'], p['error']) for p in got['probes']] == [(True, None), (True, None)], got
    assert got['changed'] is False and got['failures'] == []


def test_a_real_server_without_the_vip_or_the_listener_fails(realserver):
    got = run([dr('10.99.9.11', '10.99.0.2'), dr('10.99.9.10', '10.99.0.2', PORT + 1),
               {'name': 'nat', 'host': 'rs', 'mode': 'nat', 'vip': '10.0.0.30', 'port': 80, 'rip': '10.99.0.2',
                'rport': PORT}])
    assert [(p['ok'], p['error']) for p in got['probes']] == [
        (False, 'no answer within 1 s'), (False, 'refused (RST from 10.99.9.10:%d)' % (PORT + 1)), (True, None)], got


def test_the_probe_leaves_no_half_open_connection(realserver):
    assert run([dr('10.99.9.10', '10.99.0.2')])['probes'][0]['ok']
    # Only the probe's own RST ends it: the director's stack dropped the SYN-ACK from its VIP.
    assert 'SYN-RECV' not in in_ns('ss', '-tanH').stdout


def test_a_dr_real_server_behind_a_router_is_refused_without_sending(realserver):
    assert in_director('ip', 'route', 'add', '10.98.0.0/24', 'via', '10.99.0.2').returncode == 0
    try:
        got = run([dr('10.99.9.10', '10.98.0.5')])
    finally:
        in_director('ip', 'route', 'del', '10.98.0.0/24')
    assert got['probes'][0]['error'] == '10.98.0.5 is not on a segment of this director (route via 10.99.0.2): DR cannot reach it'
