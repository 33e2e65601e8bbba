"""sd_notify as systemd receives it: the exact datagrams on a real AF_UNIX socket."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from performance.kiosk import notify
from performance.kiosk.notify import Notifier


def _receiver(address: str) -> socket.socket:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(address)
    server.settimeout(2.0)
    return server


def _pending(server: socket.socket) -> list[str]:
    """Every datagram waiting on `server`, without waiting for more."""
    server.setblocking(False)
    got = []
    try:
        while True:
            got.append(server.recv(4096).decode())
    except BlockingIOError:
        pass
    server.settimeout(2.0)
    return got


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "notify.sock"
    assert len(str(path)) < 100  # AF_UNIX path limit
    yield path


def test_the_protocol_on_a_socket_file(sock_path: Path) -> None:
    server = _receiver(str(sock_path))
    env = {"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000", "LANG": "C"}
    notifier = Notifier(env)
    assert env == {"LANG": "C"}  # children never see the service's variables
    assert notifier.enabled and notifier.watchdog_interval == 1.0

    notifier.ready("show running")
    assert server.recv(4096) == b"READY=1\nSTATUS=show running"
    notifier.status("show running")  # unchanged since ready(): not sent
    notifier.status("act 2\nthe enclave")
    notifier.status("act 2 the enclave")  # the same line once newlines are spaces
    notifier.status("x" * 1000)
    assert _pending(server) == ["STATUS=act 2 the enclave", "STATUS=" + "x" * 197 + "..."]

    sent = [notifier.watchdog(t) for t in (100.0, 100.5, 100.99, 101.0, 101.2, 102.5)]
    assert sent == [True, False, False, True, False, True]
    assert notifier.watchdog(50.0)  # the clock went back: ping rather than fall silent
    assert _pending(server) == ["WATCHDOG=1"] * 4

    notifier.stopping()
    assert _pending(server) == ["STOPPING=1"]
    notifier.close()
    notifier.status("after close")
    assert not notifier.watchdog(500.0)
    assert _pending(server) == []
    server.close()


def test_the_abstract_namespace() -> None:
    name = f"essence-test-{uuid.uuid4().hex}"
    server = _receiver("\0" + name)
    notifier = Notifier({"NOTIFY_SOCKET": "@" + name})
    assert notifier.enabled and notifier.watchdog_interval is None  # no WATCHDOG_USEC
    notifier.ready()
    assert not notifier.watchdog(1.0)
    notifier.stopping()
    assert _pending(server) == ["READY=1", "STOPPING=1"]
    notifier.close()
    server.close()


def test_the_watchdog_belongs_to_the_pid_systemd_named(sock_path: Path) -> None:
    server = _receiver(str(sock_path))
    ours = Notifier({"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "20000000",
                     "WATCHDOG_PID": str(os.getpid())})
    assert ours.watchdog_interval == 10.0 and ours.watchdog(0.0)
    other = {"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "20000000",
             "WATCHDOG_PID": str(os.getpid() + 1)}
    theirs = Notifier(other, unset=False)
    assert "WATCHDOG_PID" in other  # left alone with unset=False
    assert theirs.enabled and theirs.watchdog_interval is None and not theirs.watchdog(0.0)
    for bad in ("0", "-5", "soon"):
        assert Notifier({"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": bad}) \
            .watchdog_interval is None
    assert _pending(server) == ["WATCHDOG=1"]
    server.close()


def test_outside_systemd_nothing_is_sent_and_no_socket_opened(monkeypatch) -> None:
    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was opened")

    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setattr(notify.socket, "socket", no_socket)
    notifier = Notifier()
    assert "WATCHDOG_USEC" not in os.environ  # unset from os.environ itself by default
    assert not notifier.enabled and notifier.watchdog_interval is None
    notifier.ready("up")
    notifier.status("act 1")
    assert not notifier.watchdog(0.0)
    notifier.stopping()
    notifier.close()


def test_os_environ_is_cleared_for_child_processes(monkeypatch, sock_path: Path) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(sock_path))
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    notifier = Notifier()
    assert not any(key in os.environ for key in notify.ENV_KEYS)
    assert notifier.enabled and notifier.watchdog_interval == 1.0


def test_a_vanished_socket_fails_quietly_and_recovers(sock_path: Path, caplog) -> None:
    server = _receiver(str(sock_path))
    notifier = Notifier({"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"})
    notifier.ready()
    assert server.recv(4096) == b"READY=1"
    server.close()  # the file stays, nobody listens: ECONNREFUSED
    with caplog.at_level(logging.DEBUG, logger=notify.__name__):
        notifier.status("act 1")
        sock_path.unlink()  # now ENOENT
        assert not notifier.watchdog(10.0)
        notifier.status("act 1")
        notifier.stopping()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot notify systemd" in warnings[0].getMessage()
    assert len([r for r in caplog.records if r.name == notify.__name__]) == 4  # all 4 failed

    server = _receiver(str(sock_path))  # systemd is back: nothing was marked as sent
    assert notifier.watchdog(10.0)
    notifier.status("act 1")
    assert _pending(server) == ["WATCHDOG=1", "STATUS=act 1"]
    server.close()


def test_a_full_socket_never_blocks(sock_path: Path, caplog) -> None:
    server = _receiver(str(sock_path))  # never reads: its queue fills up, sends get EAGAIN
    notifier = Notifier({"NOTIFY_SOCKET": str(sock_path)})
    with caplog.at_level(logging.WARNING, logger=notify.__name__):
        for i in range(5000):
            notifier.status(f"frame {i}")
    assert len(caplog.records) == 1
    received = _pending(server)
    assert 0 < len(received) < 5000 and received[0] == "STATUS=frame 0"
    server.close()


def test_an_unusable_socket_name_disables_it(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger=notify.__name__):
        notifier = Notifier({"NOTIFY_SOCKET": "relative/notify.sock", "WATCHDOG_USEC": "1000"})
    assert not notifier.enabled and notifier.watchdog_interval is None
    assert len(caplog.records) == 1
