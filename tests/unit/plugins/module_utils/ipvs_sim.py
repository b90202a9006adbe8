# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny model of what ipvsadm -R does to the kernel table, for the tests.

It reuses the core's line parser (tested on its own) but implements the
kernel's semantics independently: each command fails the way the kernel
would (adding twice, editing what does not exist, a real server without its
service), so an ordering mistake in the delta shows up as an exception.
"""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import Table
from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_save import parse_rule


class SimError(Exception):
    pass


class Simulator(object):
    def __init__(self, table=None, timeouts=None):
        self.table = table.copy() if table is not None else Table()
        self.timeouts = dict(timeouts or {'tcp': 900, 'tcpfin': 120, 'udp': 300})
        self.log = []

    def run(self, line):
        cmd = parse_rule(line)
        services = self.table.services
        if cmd.op == 'set':
            for key, value in cmd.timeouts.items():
                if value:
                    self.timeouts[key] = value
            return
        if cmd.op == 'C':
            services.clear()
            return
        key = cmd.service.key
        have = services.get(key)
        if cmd.op == 'A':
            if have is not None:
                raise SimError('File exists: %s' % line)
            # A parsed -A line has no real servers.
            services[key] = cmd.service.copy()
        elif cmd.op == 'E':
            if have is None:
                raise SimError('No such service: %s' % line)
            new = cmd.service.copy()
            new.realservers = have.realservers
            services[key] = new
        elif cmd.op == 'D':
            if have is None:
                raise SimError('No such service: %s' % line)
            del services[key]
        else:
            if have is None:
                raise SimError('Service not defined: %s' % line)
            rkey = cmd.realserver.key
            exists = rkey in have.realservers
            if cmd.op == 'a':
                if exists:
                    raise SimError('Destination already exists: %s' % line)
                have.realservers[rkey] = cmd.realserver
            elif cmd.op == 'e':
                if not exists:
                    raise SimError('No such destination: %s' % line)
                have.realservers[rkey] = cmd.realserver
            elif cmd.op == 'd':
                if not exists:
                    raise SimError('No such destination: %s' % line)
                del have.realservers[rkey]
        self.log.append(cmd)

    def run_batch(self, lines):
        for line in lines:
            self.run(line)
        return self.table
