# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPVS table value types: Service, RealServer, Table, the one error type, ipvsadm's options.

Pure: data in, data out.  The ``ipvs`` module, the runner that feeds it live
data, the tests and the benchmark share these, so the one notion of "equal"
used by the delta is defined once, by the ``attrs`` tuples below.  Building
them from declarations is ``_ipvs_spec``, from ``ipvsadm -Sn`` ``_ipvs_save``.

Facts taken from ipvsadm 1.31 (``ipvsadm.c``) that shape this code:

* ``-S`` prints ``-A <svc> -s <sched> [-p T [-M mask]] [--pe P] [-o] [-b flags]``
  then ``-a <svc> -r <rs> -g|-i|-m -w W [--tun-type ...]``.  It never prints
  thresholds (``-x``/``-y``); those are only visible in ``-Ln --thresholds``.
* ``-E``/``-e`` replace every attribute: an omitted ``-p`` clears persistence,
  an omitted ``-x`` resets the threshold to 0.  So edits are always rendered
  with the complete attribute set.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.lvs.cluster.plugins.module_utils._inet import (
    DEFAULT_SCHEDULER, INET, INET6, hostport, service_key, sort_key,
)

PROTOCOL_OPTS = {'tcp': '-t', 'udp': '-u', 'sctp': '--sctp-service'}
OPT_PROTOCOLS = {'-t': 'tcp', '--tcp-service': 'tcp', '-u': 'udp',
                 '--udp-service': 'udp', '--sctp-service': 'sctp'}
FORWARD_OPTS = {'dr': '-g', 'tun': '-i', 'nat': '-m'}
OPT_FORWARDS = {'-g': 'dr', '--gatewaying': 'dr', '-i': 'tun', '--ipip': 'tun',
                '-m': 'nat', '--masquerading': 'nat'}
TUN_TYPES = ('ipip', 'gue', 'gre')
TUN_CSUMS = ('nocsum', 'csum', 'remcsum')
FAMILIES = (INET, INET6)
# libipvs' IPVS_SVC_PERSISTENT_TIMEOUT, used when -p has no value.
DEFAULT_PERSISTENCE = 360
MAX_TIMEOUT = 86400 * 31
MAX_THRESHOLD = 65535
# libipvs ipvs_cmp_services orders services by protocol number.
_PROTO_NUMBERS = {'tcp': 6, 'udp': 17, 'sctp': 132}


class IpvsError(Exception):
    """The one error type; ``to_result`` is what the module hands to fail_json."""

    def __init__(self, msg, **details):
        super(IpvsError, self).__init__(msg)
        self.msg = msg
        self.details = details

    def to_result(self):
        result = dict(self.details)
        result['msg'] = self.msg
        return result


class RealServer(object):
    __slots__ = ('address', 'port', 'weight', 'forward', 'upper_threshold',
                 'lower_threshold', 'tun_type', 'tun_port', 'tun_csum')

    def __init__(self, address, port, weight=1, forward='dr', upper_threshold=0,
                 lower_threshold=0, tun_type=None, tun_port=None, tun_csum=None):
        self.address = address
        self.port = port
        self.weight = weight
        self.forward = forward
        self.upper_threshold = upper_threshold
        self.lower_threshold = lower_threshold
        # Normalise tunnel options so "-i" and "-i --tun-type ipip" compare
        # equal, as they mean the same to the kernel.
        if forward == 'tun':
            tun_type = tun_type or 'ipip'
            if tun_type == 'ipip':
                tun_port, tun_csum = None, None
            else:
                tun_csum = tun_csum or 'nocsum'
                if tun_type != 'gue':
                    tun_port = None
        else:
            tun_type = tun_port = tun_csum = None
        self.tun_type = tun_type
        self.tun_port = tun_port
        self.tun_csum = tun_csum

    @property
    def key(self):
        return (self.address, self.port)

    def attrs(self):
        return (self.weight, self.forward, self.upper_threshold, self.lower_threshold,
                self.tun_type, self.tun_port, self.tun_csum)

    def options(self, thresholds=True):
        """``-r ... -g -w N ...``: everything ``-a``/``-e`` need.

        ``thresholds=False`` leaves out ``-x``/``-y``, as ``ipvsadm -S`` does.
        """
        parts = ['-r', hostport(self.address, self.port), FORWARD_OPTS[self.forward],
                 '-w', str(self.weight)]
        if self.tun_type and self.tun_type != 'ipip':
            parts += ['--tun-type', self.tun_type]
            if self.tun_port is not None:
                parts += ['--tun-port', str(self.tun_port)]
            parts.append('--tun-' + self.tun_csum)
        if thresholds and self.upper_threshold:
            parts += ['-x', str(self.upper_threshold)]
        if thresholds and self.lower_threshold:
            parts += ['-y', str(self.lower_threshold)]
        return ' '.join(parts)

    def to_data(self):
        return {'address': self.address, 'port': self.port, 'weight': self.weight,
                'forward': self.forward, 'upper_threshold': self.upper_threshold,
                'lower_threshold': self.lower_threshold, 'tun_type': self.tun_type,
                'tun_port': self.tun_port, 'tun_csum': self.tun_csum}

    def copy(self):
        return RealServer(self.address, self.port, self.weight, self.forward,
                          self.upper_threshold, self.lower_threshold, self.tun_type,
                          self.tun_port, self.tun_csum)

    def __eq__(self, other):
        return isinstance(other, RealServer) and self.key == other.key \
            and self.attrs() == other.attrs()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return 'RealServer(%s)' % self.options()


class Service(object):
    __slots__ = ('protocol', 'address', 'port', 'fwmark', 'family', 'scheduler',
                 'persistence_timeout', 'persistence_netmask', 'persistence_engine',
                 'one_packet', 'scheduler_flags', 'realservers', 'spec', 'key')

    def __init__(self, protocol=None, address=None, port=None, fwmark=None,
                 family=INET, scheduler=DEFAULT_SCHEDULER, persistence_timeout=None,
                 persistence_netmask=None, persistence_engine=None, one_packet=False,
                 scheduler_flags=()):
        self.protocol = protocol
        self.address = address
        self.port = port
        self.fwmark = fwmark
        self.family = family
        self.scheduler = scheduler
        self.persistence_timeout = persistence_timeout
        self.persistence_netmask = persistence_netmask if persistence_timeout else None
        self.persistence_engine = persistence_engine
        self.one_packet = bool(one_packet)
        self.scheduler_flags = tuple(scheduler_flags)
        self.realservers = {}
        if fwmark is not None:
            self.spec = '-f %d -6' % fwmark if family == INET6 else '-f %d' % fwmark
        else:
            self.spec = '%s %s' % (PROTOCOL_OPTS[protocol], hostport(address, port))
        self.key = service_key(protocol, address, port, fwmark, family)

    def attrs(self):
        return (self.scheduler, self.persistence_timeout, self.persistence_netmask,
                self.persistence_engine, self.one_packet, self.scheduler_flags)

    def options(self):
        """``-s ... [-p ...]``: everything ``-A``/``-E`` need (see module doc)."""
        parts = ['-s', self.scheduler]
        if self.persistence_timeout:
            parts += ['-p', str(self.persistence_timeout)]
            if self.persistence_netmask:
                parts += ['-M', self.persistence_netmask]
        if self.persistence_engine:
            parts += ['--pe', self.persistence_engine]
        if self.one_packet:
            parts.append('-o')
        if self.scheduler_flags:
            parts += ['-b', ','.join(self.scheduler_flags)]
        return ' '.join(parts)

    def sort_key(self):
        # ipvsadm's own order (libipvs ipvs_cmp_services), so the rendered
        # text lines up with real ``ipvsadm -Sn`` output.
        if self.fwmark is not None:
            return (self.fwmark, self.family, 0, (0, 0), 0)
        return (0, self.family, _PROTO_NUMBERS[self.protocol], sort_key(self.address),
                self.port)

    def sorted_realservers(self):
        return [self.realservers[k] for k in
                sorted(self.realservers, key=lambda k: (sort_key(k[0]), k[1]))]

    def copy(self):
        svc = Service(self.protocol, self.address, self.port, self.fwmark, self.family,
                      self.scheduler, self.persistence_timeout, self.persistence_netmask,
                      self.persistence_engine, self.one_packet, self.scheduler_flags)
        svc.realservers = dict((k, rs.copy()) for k, rs in self.realservers.items())
        return svc

    def to_data(self):
        return {'protocol': self.protocol, 'address': self.address, 'port': self.port,
                'fwmark': self.fwmark, 'family': self.family, 'scheduler': self.scheduler,
                'persistence_timeout': self.persistence_timeout,
                'persistence_netmask': self.persistence_netmask,
                'persistence_engine': self.persistence_engine,
                'one_packet': self.one_packet,
                'scheduler_flags': list(self.scheduler_flags),
                'realservers': [rs.to_data() for rs in self.sorted_realservers()]}

    def __eq__(self, other):
        if self is other:
            return True
        return isinstance(other, Service) and self.key == other.key \
            and self.attrs() == other.attrs() and self.realservers == other.realservers

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return 'Service(%s %s, %d rs)' % (self.spec, self.options(), len(self.realservers))


class Table(object):
    """Services by key; equality is exact (attributes and real servers)."""

    __slots__ = ('services',)

    def __init__(self):
        self.services = {}

    def sorted_services(self):
        return sorted(self.services.values(), key=Service.sort_key)

    def copy(self):
        table = Table()
        table.services = dict((k, s.copy()) for k, s in self.services.items())
        return table

    def to_data(self):
        return [svc.to_data() for svc in self.sorted_services()]

    def render(self, thresholds=True):
        """Canonical ``ipvsadm -Sn`` text: sorted, so diffs of it are minimal.

        With thresholds (which ``-Sn`` cannot show) unless ``thresholds=False``.
        """
        lines = []
        for svc in self.sorted_services():
            lines.append('-A %s %s' % (svc.spec, svc.options()))
            for rs in svc.sorted_realservers():
                lines.append('-a %s %s' % (svc.spec, rs.options(thresholds)))
        return ''.join(line + '\n' for line in lines)

    def __len__(self):
        return len(self.services)

    def __eq__(self, other):
        return isinstance(other, Table) and self.services == other.services

    def __ne__(self, other):
        return not self == other

    __hash__ = None
