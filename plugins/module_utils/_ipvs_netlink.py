# -*- coding: utf-8 -*-
# Copyright: (c) 2026, lvs.cluster contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin generic netlink socket for IPVS: resolve the family, dump, request, batch.

The standard library only (``socket.AF_NETLINK``); the bytes are built and
parsed by ``_ipvs_netlink_codec``.  Every failure is a :class:`NetlinkError`
naming the operation and the kernel's errno text, never a bare OSError.

* ``dump``: one ``NLM_F_DUMP`` request, replies read (multi-part) up to
  ``NLMSG_DONE``; a reply flagged ``NLM_F_DUMP_INTR`` (the table changed while
  it was read) restarts the dump.
* ``stream``: the same dump, each payload handed over as it arrives, so a
  large table is parsed without first holding every message; an interrupted
  one raises :class:`DumpInterrupted` and the caller starts its read again.
* ``request``: one ``NLM_F_ACK`` request and its reply.
* ``batch``: many requests, sent in windows of several messages per ``send``
  (the kernel runs them in order; the last of each window is acknowledged,
  every refused one answered with its errno), and stops after the first
  window with a failure: the caller gets every failed request with its errno
  and how many were never sent.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import errno
import os
import socket

from ansible_collections.lvs.cluster.plugins.module_utils._ipvs_types import IpvsError
from ansible_collections.lvs.cluster.plugins.module_utils import _ipvs_netlink_codec as codec

# A window must fit its acknowledgements into the receive buffer: about
# 1 KiB of buffer each (skb overhead), at most MAX_WINDOW per send.
MAX_WINDOW = 256
_ACK_COST = 1280
_RCVBUF = 8 * 1024 * 1024
# One datagram per receive: the kernel caps a dump's datagrams at 32 KiB (it
# sizes them by the largest receive buffer seen, up to that), and each ack is
# its own small datagram.  A larger one is reported as truncated, never cut.
_RECV_SIZE = 64 * 1024
SO_RCVBUFFORCE = getattr(socket, 'SO_RCVBUFFORCE', 33)


def errno_text(number):
    """``Operation not permitted (EPERM)``."""
    name = errno.errorcode.get(number)
    text = os.strerror(number)
    return '%s (%s)' % (text, name) if name else text


class NetlinkError(IpvsError):
    """A netlink operation failed; ``details`` has ``op`` and ``errno``."""

    def __init__(self, op, number=None, why=None, kernel_msg=None):
        text = why or errno_text(number)
        if kernel_msg:
            text += ': ' + kernel_msg
        super(NetlinkError, self).__init__('IPVS netlink %s failed: %s' % (op, text), op=op,
                                           errno=number)
        self.errno = number


class DumpInterrupted(NetlinkError):
    """A streamed dump was flagged NLM_F_DUMP_INTR: the table changed while it was read."""


class FamilyMissing(NetlinkError):
    """The kernel has no "IPVS" generic netlink family (no ip_vs, or it cannot load)."""


class GenlSocket(object):
    """One NETLINK_GENERIC socket bound to the IPVS family."""

    def __init__(self, family=codec.IPVS_GENL_NAME, sock=None, timeout=60.0):
        self._seq = 0
        if sock is None:
            try:
                sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, codec.NETLINK_GENERIC)
            except (OSError, AttributeError) as exc:
                raise FamilyMissing('socket(AF_NETLINK, NETLINK_GENERIC)',
                                    getattr(exc, 'errno', None), why=str(exc))
            try:
                sock.bind((0, 0))
                sock.settimeout(timeout)
                self._tune(sock)
            except OSError as exc:
                sock.close()
                raise NetlinkError('bind', exc.errno)
        self.sock = sock
        # Received into one buffer for the socket's life: a fresh one per
        # receive was a new allocation each time, and in the lab VM every new
        # page costs as much as parsing dozens of messages.
        self._buf = bytearray(_RECV_SIZE)
        self._view = memoryview(self._buf)
        self.window = self._window()
        self.family = self.resolve(family)

    @staticmethod
    def _tune(sock):
        # Errors with the request's header only, plus the kernel's extended
        # message when it has one; neither is required.
        for option in (codec.NETLINK_CAP_ACK, codec.NETLINK_EXT_ACK):
            try:
                sock.setsockopt(codec.SOL_NETLINK, option, 1)
            except OSError:
                pass
        for option in (SO_RCVBUFFORCE, socket.SO_RCVBUF):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, _RCVBUF)
                break
            except OSError:
                continue

    def _window(self):
        try:
            rcvbuf = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        except (OSError, AttributeError):
            rcvbuf = 0
        return max(8, min(MAX_WINDOW, (rcvbuf or 0) // 2 // _ACK_COST))

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def next_seq(self):
        self._seq = (self._seq + 1) & 0xffffffff or 1
        return self._seq

    # ------------------------------------------------------------ raw I/O

    def _send(self, data, op):
        try:
            sent = self.sock.send(data)
        except socket.timeout:
            raise NetlinkError(op, why='send timed out')
        except OSError as exc:
            raise NetlinkError(op, exc.errno)
        if sent != len(data):
            raise NetlinkError(op, why='short send (%d of %d bytes)' % (sent, len(data)))

    def _recv(self, op):
        try:
            size, _anc, flags, _addr = self.sock.recvmsg_into([self._buf])
        except socket.timeout:
            raise NetlinkError(op, why='no reply from the kernel')
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                raise NetlinkError(op, exc.errno, why='receive buffer overflow, replies were lost')
            raise NetlinkError(op, exc.errno)
        if flags & socket.MSG_TRUNC:
            raise codec.MalformedReply('IPVS netlink %s: reply truncated by the receive '
                                       'buffer' % op)
        return codec.parse_messages(self._view[:size].tobytes(), op)

    # ------------------------------------------------------------ operations

    def resolve(self, name):
        """The generic netlink family id of ``name`` (CTRL_CMD_GETFAMILY)."""
        op = 'CTRL_CMD_GETFAMILY %s' % name
        seq = self.next_seq()
        self._send(codec.getfamily_request(seq, name), op)
        try:
            replies = self._collect(seq, op)
        except NetlinkError as exc:
            if exc.errno == errno.ENOENT:
                raise FamilyMissing(op, exc.errno, why='no generic netlink family "%s" (is the '
                                    'ip_vs kernel module available?)' % name)
            raise
        if not replies:
            raise codec.MalformedReply('IPVS netlink %s: no family in the reply' % op)
        return codec.parse_family_id(replies[0][1], op)

    def _collect(self, seq, op):
        """``[(flags, payload)]`` answering request ``seq``, up to NLMSG_DONE or the ack."""
        return list(self._replies(seq, op))

    def _replies(self, seq, op):
        """``(flags, payload)`` answering request ``seq`` as they arrive, up to NLMSG_DONE or the ack."""
        while True:
            for kind, flags, mseq, payload in self._recv(op):
                if mseq != seq:
                    continue  # late replies of an earlier, abandoned request
                if kind == codec.NLMSG_ERROR:
                    number, message = codec.ack_error(payload, flags, op)
                    if number:
                        raise NetlinkError(op, number, kernel_msg=message)
                    return
                if kind == codec.NLMSG_DONE:
                    number = codec.done_errno(payload)
                    if number:
                        raise NetlinkError(op, number)
                    return
                if kind == codec.NLMSG_OVERRUN:
                    raise NetlinkError(op, why='netlink overrun')
                if kind == codec.NLMSG_NOOP:
                    continue
                # A dump part, or the reply of a request (its ack follows).
                yield flags, payload

    def dump(self, cmd, attrs=b'', retries=3):
        """Payloads of every message of an IPVS dump."""
        op = codec.CMD_NAMES.get(cmd, str(cmd)) + ' dump'
        for _attempt in range(retries):
            seq = self.next_seq()
            self._send(codec.genlmsg(self.family, cmd, codec.NLM_F_REQUEST | codec.NLM_F_DUMP,
                                     seq, attrs), op)
            replies = self._collect(seq, op)
            if not any(flags & codec.NLM_F_DUMP_INTR for flags, _p in replies):
                return [payload for _f, payload in replies]
        raise NetlinkError(op, why='the table kept changing while it was read (%d attempts)'
                           % retries)

    def stream(self, cmd, attrs=b''):
        """Payloads of one IPVS dump, each yielded as its datagram arrives.

        Raises :class:`DumpInterrupted` (after reading the dump to its end)
        where ``dump`` would start again: payloads already handed over belong
        to a table that changed, so only the caller can start over.  A caller
        that stops early should ``close()`` the generator: the rest of the
        dump is then read and dropped, as the socket takes no new dump while
        one is running.
        """
        op = codec.CMD_NAMES.get(cmd, str(cmd)) + ' dump'
        seq = self.next_seq()
        self._send(codec.genlmsg(self.family, cmd, codec.NLM_F_REQUEST | codec.NLM_F_DUMP, seq,
                                 attrs), op)
        replies = self._replies(seq, op)
        try:
            for flags, payload in replies:
                if flags & codec.NLM_F_DUMP_INTR:
                    for _rest in replies:
                        pass
                    raise DumpInterrupted(op, why='the table changed while it was read')
                yield payload
        finally:
            try:
                for _rest in replies:
                    pass
            except IpvsError:
                pass

    def request(self, cmd, attrs=b''):
        """Payloads of the replies to one acknowledged request."""
        op = codec.CMD_NAMES.get(cmd, str(cmd))
        seq = self.next_seq()
        self._send(codec.genlmsg(self.family, cmd, codec.NLM_F_REQUEST | codec.NLM_F_ACK, seq,
                                 attrs), op)
        return [payload for _f, payload in self._collect(seq, op)]

    def batch(self, requests):
        """Send ``[(cmd, attrs)]`` in order; ``(failures, not_sent)``.

        Each window is one ``send``.  Only its last request asks for an
        acknowledgement (NLM_F_ACK); the kernel answers every other one only
        when it refuses it (netlink_rcv_skb acks an error always), and it runs
        a window's requests in order and queues their answers in order, so the
        last one's acknowledgement means every earlier one was run.  One
        receive per window instead of one per request: at 50,000 requests the
        receives were a fifth of the load in the lab VM.

        ``failures`` is ``[(index, errno, kernel message)]`` of the requests the
        kernel refused; after a window with a failure nothing more is sent and
        ``not_sent`` counts what was left.
        """
        failures = []
        total = len(requests)
        start = 0
        quiet = codec.NLM_F_REQUEST
        acked = codec.NLM_F_REQUEST | codec.NLM_F_ACK
        family = self.family
        genlmsg = codec.genlmsg
        while start < total and not failures:
            end = min(total, start + self.window)
            seqs = {}
            chunks = []
            for index in range(start, end):
                seq = self.next_seq()
                seqs[seq] = index
                cmd, attrs = requests[index]
                chunks.append(genlmsg(family, cmd, acked if index == end - 1 else quiet, seq,
                                      attrs))
            last = seq
            op = 'batch of requests %d-%d' % (start + 1, end)
            self._send(b''.join(chunks), op)
            waiting = True
            while waiting:
                for kind, mflags, mseq, payload in self._recv(op):
                    index = seqs.pop(mseq, None)
                    if index is None:
                        continue
                    if kind != codec.NLMSG_ERROR:
                        raise codec.MalformedReply(
                            'IPVS netlink %s: message type %d where an acknowledgement of '
                            'request %d belongs' % (op, kind, index + 1))
                    number, message = codec.ack_error(payload, mflags, op)
                    if number:
                        failures.append((index, number, message))
                    if mseq == last:
                        waiting = False
            start = end
        return failures, total - start
