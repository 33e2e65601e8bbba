"""The perception worker with a gated fake detector: newest frame wins, errors never kill it."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from performance.core.mailbox import LatestSlot
from performance.core.types import Frame, Observations
from performance.perception.worker import PerceptionWorker

WAIT = 5.0


def _frame(i: int) -> Frame:
    return Frame(image=np.zeros((4, 4, 3), np.uint8), timestamp=i / 30, index=i, source="fake")


class GatedDetector:
    """Blocks in detect until the test opens the gate; raises for frames listed in `fail`."""

    def __init__(self, fail: dict[int, Exception] | None = None) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.seen: list[int] = []
        self.fail = fail or {}
        self.closed = False

    def detect(self, frame: Frame) -> Observations:
        self.seen.append(frame.index)
        self.entered.set()
        assert self.gate.wait(WAIT)
        if frame.index in self.fail:
            raise self.fail[frame.index]
        return Observations(frame.timestamp, frame.index, frame.source, ())

    def close(self) -> None:
        self.closed = True


def _wait_for(out: LatestSlot[Observations], index: int) -> Observations:
    while True:
        obs = out.take(timeout=WAIT)
        assert obs is not None, f"no observations for frame {index}"
        if obs.frame_index == index:
            return obs


def test_frames_arriving_while_busy_are_dropped_not_queued() -> None:
    frames: LatestSlot[Frame] = LatestSlot()
    out: LatestSlot[Observations] = LatestSlot()
    det = GatedDetector()
    statuses: list[str] = []
    worker = PerceptionWorker(lambda: det, frames, out, on_status=statuses.append)
    worker.start()
    try:
        frames.put(_frame(0))
        assert det.entered.wait(WAIT)  # busy on frame 0
        for i in (1, 2, 3):
            frames.put(_frame(i))
        det.gate.set()
        _wait_for(out, 3)
        assert det.seen == [0, 3]
        assert worker.processed == 2
        assert worker.dropped == 2
        assert worker.last_latency_s is not None and worker.last_latency_s >= 0.0
    finally:
        worker.stop()
    assert det.closed and not worker.running
    assert statuses[0] == "perception running" and statuses[-1] == "perception stopped"


def test_detect_errors_are_counted_logged_once_and_survived(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frames: LatestSlot[Frame] = LatestSlot()
    out: LatestSlot[Observations] = LatestSlot()
    det = GatedDetector(fail={0: ValueError("bad 0"), 1: ValueError("bad 1"), 2: KeyError("k")})
    det.gate.set()
    statuses: list[str] = []
    with caplog.at_level(logging.ERROR), PerceptionWorker(
        lambda: det, frames, out, on_status=statuses.append
    ) as worker:
        for i in range(4):
            det.entered.clear()
            frames.put(_frame(i))
            if i < 3:
                assert det.entered.wait(WAIT)
        _wait_for(out, 3)
        assert worker.running
        assert worker.errors == {"ValueError": 2, "KeyError": 1}
        assert worker.error_count == 3 and worker.processed == 1
    logged = [r for r in caplog.records if "detect failed" in r.getMessage()]
    assert len(logged) == 2  # once per kind
    assert sum("perception error" in s for s in statuses) == 2


def test_factory_error_propagates_from_start() -> None:
    def broken() -> GatedDetector:
        raise FileNotFoundError("model.task")

    worker = PerceptionWorker(broken, LatestSlot(), LatestSlot())
    with pytest.raises(FileNotFoundError):
        worker.start()
    assert not worker.running


def test_closing_the_input_ends_the_thread() -> None:
    frames: LatestSlot[Frame] = LatestSlot()
    det = GatedDetector()
    det.gate.set()
    worker = PerceptionWorker(lambda: det, frames, LatestSlot())
    worker.start()
    frames.close()
    thread = worker._thread
    assert thread is not None
    thread.join(WAIT)
    assert not thread.is_alive()
    worker.stop()
    assert det.closed
