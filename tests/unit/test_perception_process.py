"""The perception process: frames through shared memory, observations back, and a child that
crashes, hangs or cannot load its model never takes the caller down.

The detectors here are picklable fakes (the camera-free boundary): each reads the frame's
first pixel, so what comes back proves which frame the child saw."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from performance.core.clock import ManualClock
from performance.core.errors import ModelError
from performance.core.mailbox import LatestSlot
from performance.core.types import FaceObservation, Frame, Observations
from performance.perception.frameshare import SharedFrameSlot
from performance.perception.process import PerceptionProcess

CRASH, HANG = 250, 251  # first-pixel values that make the fake detector crash or hang


@dataclass(frozen=True)
class PixelDetector:
    """Reports one face per 10 of the first pixel's value; crashes or hangs on cue."""

    def __call__(self) -> PixelDetector:
        return self

    def detect(self, frame: Frame) -> Observations:
        value = int(frame.image[0, 0, 0])
        if value == CRASH:
            os._exit(3)  # as a segfault in native code would: no exception, no goodbye
        if value == HANG:
            time.sleep(3600)
        face = FaceObservation(bbox=(0.1, 0.1, 0.2, 0.2), blendshapes={"jawOpen": 0.5})
        return Observations(timestamp=frame.timestamp, frame_index=frame.index,
                            source=frame.source, faces=(face,) * (value // 10))

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class BrokenModel:
    """A factory whose model cannot load."""

    def __call__(self) -> PixelDetector:
        raise ModelError("face model /models/broken.task: not a model file")


def frame(value: int, index: int, size: tuple[int, int] = (48, 64)) -> Frame:
    image = np.full((*size, 3), value, np.uint8)
    return Frame(image=image, timestamp=index / 30, index=index, source="fake",
                 captured=10.0 + index)


def wait_for(proc: PerceptionProcess, out: LatestSlot[Observations], clock: ManualClock,
             *, step: float = 0.05, limit: float = 30.0) -> Observations | None:
    """Pump as the render loop does (never blocking) until observations arrive."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        proc.pump(clock.advance(step))
        got = out.take(timeout=0)
        if got is not None:
            return got
        time.sleep(0.01)
    return None


@pytest.fixture
def parts():
    slot = SharedFrameSlot(mp.get_context("spawn"))
    out: LatestSlot[Observations] = LatestSlot()
    procs: list[PerceptionProcess] = []

    def make(factory=PixelDetector(), **kwargs) -> PerceptionProcess:
        proc = PerceptionProcess(factory, slot, out, restart_s=0.2, **kwargs)
        procs.append(proc)
        return proc

    yield slot, out, make
    for proc in procs:
        proc.stop(timeout=2.0)


def test_frames_cross_in_shared_memory_and_observations_come_back(parts) -> None:
    slot, out, make = parts
    proc = make()
    proc.start()
    clock = ManualClock()
    slot.put(frame(30, 1))
    got = wait_for(proc, out, clock)
    assert got is not None and len(got.faces) == 3 and got.frame_index == 1
    assert got.captured == pytest.approx(11.0)  # the capture time travels with the frame
    assert got.faces[0].blendshapes == {"jawOpen": 0.5}
    slot.put(frame(50, 2, size=(720, 1280)))  # a larger frame: a new, larger segment
    got = wait_for(proc, out, clock)
    assert got is not None and len(got.faces) == 5 and got.frame_index == 2
    assert slot.peek() is not None and slot.peek().index == 2  # the preview's copy
    assert proc.processed == 2 and proc.restarts == 0


def test_a_crashing_child_is_reported_once_and_replaced(parts, caplog) -> None:
    slot, out, make = parts
    proc = make()
    proc.start()
    clock = ManualClock()
    with caplog.at_level(logging.ERROR):
        for attempt in range(2):
            slot.put(frame(CRASH, 10 + attempt))
            deadline = time.monotonic() + 20
            while proc.errors.get("crashed", 0) <= attempt and time.monotonic() < deadline:
                proc.pump(clock.advance(0.05))
                time.sleep(0.01)
            assert proc.errors.get("crashed") == attempt + 1
            assert proc.trouble is not None and "exit code 3" in proc.trouble
            slot.put(frame(20, 20 + attempt))  # the replacement reads the next frame
            got = wait_for(proc, out, clock)
            assert got is not None and len(got.faces) == 2
            assert proc.trouble is None and proc.last_error is None  # recovered by itself
    assert proc.restarts == 2
    crashes = [r for r in caplog.records if "perception crashed" in r.getMessage()]
    assert len(crashes) == 1  # logged once; the second is only counted


def test_a_hung_child_is_killed_after_hang_s_and_replaced(parts) -> None:
    slot, out, make = parts
    proc = make(hang_s=1.0)
    proc.start()
    clock = ManualClock()
    slot.put(frame(HANG, 1))
    deadline = time.monotonic() + 20
    while not proc.errors.get("hung") and time.monotonic() < deadline:
        proc.pump(clock.advance(0.05))  # each pump is instant: the caller never waits
        time.sleep(0.01)
    assert proc.errors == {"hung": 1}
    slot.put(frame(10, 2))
    got = wait_for(proc, out, clock)
    assert got is not None and len(got.faces) == 1 and proc.restarts == 1


def test_a_model_that_cannot_load_fails_start_naming_it(parts) -> None:
    _slot, _out, make = parts
    proc = make(BrokenModel())
    with pytest.raises(ModelError, match=r"broken\.task: not a model file"):
        proc.start()
    assert not proc.running


def test_no_frame_stays_in_shared_memory_after_stop(parts) -> None:
    slot, out, make = parts
    proc = make()
    proc.start()
    slot.put(frame(10, 1))
    assert wait_for(proc, out, ManualClock()) is not None
    name = slot.handles.name.value.decode()
    assert (Path("/dev/shm") / name).exists()
    proc.stop()
    assert not (Path("/dev/shm") / name).exists()


def test_a_child_killed_while_waiting_or_holding_the_lock_never_blocks_capture(parts) -> None:
    """The child is SIGKILLed while it waits for a frame, and the lock is left taken as if it
    had died mid-copy: capture's `put` still returns at once (the frame is dropped and
    counted), and the replacement child gets fresh handles and reads the next frame."""
    import signal
    import threading

    slot, out, make = parts
    proc = make()
    proc.start()
    clock = ManualClock()
    child = next(p for p in mp.active_children() if p.name == "essence-perception")
    assert child.pid is not None
    time.sleep(0.3)  # the child is waiting for a frame
    os.kill(child.pid, signal.SIGKILL)
    assert slot.handles.lock.acquire(timeout=1)  # ... and "dies" holding the lock
    put = threading.Thread(target=slot.put, args=(frame(10, 1),))
    put.start()
    put.join(timeout=2)
    assert not put.is_alive()  # capture was not blocked
    assert slot.refused == 1
    got = None
    deadline = time.monotonic() + 20
    while got is None and time.monotonic() < deadline:
        proc.pump(clock.advance(0.05))
        if proc.restarts and proc.trouble is None:  # the new child runs: hand it a frame
            slot.put(frame(40, 2))
            got = wait_for(proc, out, clock)
        time.sleep(0.01)
    assert got is not None and len(got.faces) == 4 and proc.errors == {"crashed": 1}


@dataclass(frozen=True)
class AffinityDetector:
    """Reports, as the observations' source, the CPUs the child may run on."""

    def __call__(self) -> AffinityDetector:
        return self

    def detect(self, frame: Frame) -> Observations:
        cpus = ",".join(str(c) for c in sorted(os.sched_getaffinity(0)))
        return Observations(timestamp=frame.timestamp, frame_index=frame.index, source=cpus,
                            faces=())

    def close(self) -> None:
        pass


def test_the_child_is_kept_on_the_cpus_asked_for(parts) -> None:
    slot, out, make = parts
    proc = make(AffinityDetector(), cpus=frozenset({0}))
    proc.start()
    slot.put(frame(10, 1))
    got = wait_for(proc, out, ManualClock())
    assert got is not None and got.source == "0"


def test_perception_cpu_setting() -> None:
    from performance.core.errors import ConfigError
    from performance.perception.process import cpu_set

    four = frozenset(range(4))
    assert cpu_set("last", four) == frozenset({3})
    assert cpu_set(" 2 ", four) == frozenset({2})
    assert cpu_set("any", four) is None
    assert cpu_set("last", frozenset({0})) is None  # one CPU: nothing to keep free
    # a container's cpuset: the last CPU it may use, not the machine's last
    assert cpu_set("last", frozenset({2, 5})) == frozenset({5})
    with pytest.raises(ConfigError, match=r"perception_cpu = '7': use last, any or one of the"
                       r" CPUs this process may use \(0, 1, 2, 3\)"):
        cpu_set("7", four)
    with pytest.raises(ConfigError, match="perception_cpu = 'first'"):
        cpu_set("first", four)


def test_frames_the_child_never_read_are_counted_once_by_the_process(parts) -> None:
    """Capture's own slot counts nothing (its copy is the preview's); the process counts
    the frames written that the child never read."""
    slot, _out, make = parts
    proc = make()
    for i in range(5):  # the child is not started: nobody reads
        slot.put(frame(10, i))
    assert slot.dropped == 0 and slot.written == 5
    assert proc.dropped == 5
    assert slot.peek() is not None and slot.peek().index == 4
