"""Port allocation: deterministic per instance, skips busy/reserved ports, explicit base fails loudly."""
import socket

import pytest

from lvslab import ports


def always_free(_):
    return True


def test_block_is_contiguous_and_deterministic():
    a = ports.allocate("x", ["h1", "h2", "h3"], is_free=always_free)
    b = ports.allocate("x", ["h1", "h2", "h3"], is_free=always_free)
    assert a == b
    assert list(a.values()) == [a["h1"], a["h1"] + 1, a["h1"] + 2]
    assert ports.PORT_MIN <= a["h1"] <= ports.PORT_MAX


def test_instances_differ():
    a = ports.allocate("one", ["h"], is_free=always_free)
    b = ports.allocate("two", ["h"], is_free=always_free)
    assert a != b


def test_busy_port_moves_to_next_block():
    first = ports.allocate("x", ["h1", "h2"], is_free=always_free)
    busy = first["h2"]
    again = ports.allocate("x", ["h1", "h2"], is_free=lambda p: p != busy)
    assert busy not in again.values()


def test_reserved_ports_of_other_instances_are_skipped():
    first = ports.allocate("x", ["h1", "h2"], is_free=always_free)
    again = ports.allocate("x", ["h1", "h2"], reserved={first["h1"]}, is_free=always_free)
    assert first["h1"] not in again.values()


def test_explicit_base_port_in_use_fails_with_reason():
    with pytest.raises(ports.PortError, match=r"port 30001 is already in use"):
        ports.allocate("x", ["a", "b"], base=30000, is_free=lambda p: p != 30001)


def test_explicit_base_port_reserved_by_other_instance():
    with pytest.raises(ports.PortError, match="another running lab instance"):
        ports.allocate("x", ["a", "b"], base=30000, reserved={30000}, is_free=always_free)


def test_too_many_hosts():
    with pytest.raises(ports.PortError):
        ports.allocate("x", [f"h{i}" for i in range(ports.BLOCK + 1)], is_free=always_free)


def test_port_free_sees_a_listening_socket():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        assert ports.port_free(s.getsockname()[1]) is False
    finally:
        s.close()
