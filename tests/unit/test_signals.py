"""SIGTERM and SIGHUP as a request to end the run (runtime.signals), on this process."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

from performance.runtime.signals import StopRequest, stop_on_signals


def test_a_signal_only_sets_the_request_and_the_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    called: list[str] = []
    with stop_on_signals(lambda: called.append("stop")) as asked:
        assert not asked()
        os.kill(os.getpid(), signal.SIGTERM)  # the default would end pytest here
        assert asked() and asked.signum == signal.SIGTERM and called == ["stop"]
        os.kill(os.getpid(), signal.SIGTERM)  # again: still one request, from the first
        assert asked.signum == signal.SIGTERM and called == ["stop", "stop"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_outer_handler_hears_it_too_and_an_ignored_hang_up_stays_ignored() -> None:
    outer: list[int] = []

    def kiosk(signum: int, frame: FrameType | None) -> None:
        outer.append(signum)

    old_term = signal.signal(signal.SIGTERM, kiosk)
    old_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with stop_on_signals() as asked:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)
            assert not asked()
            os.kill(os.getpid(), signal.SIGTERM)
            assert asked() and outer == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is kiosk
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGHUP, old_hup)


def test_only_the_main_thread_can_install_them() -> None:
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            with stop_on_signals():
                pass
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "main thread" in str(errors[0])


def test_the_request_is_the_loop_s_stop() -> None:
    request = StopRequest()
    assert request() is False
    request.request(signal.SIGHUP)
    request.request(signal.SIGTERM)
    assert request() is True and request.signum == signal.SIGHUP


@pytest.fixture(autouse=True)
def _no_leftover_handlers() -> Iterator[None]:
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    yield None
    assert {s: signal.getsignal(s) for s in before} == before
