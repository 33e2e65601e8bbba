"""The main loop and its frame statistics with a ManualClock: no GL, no window, no sleep."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import pytest

from performance.config import NEUTRAL_SECONDS
from performance.core.clock import ManualClock
from performance.core.mailbox import CommandQueue, LatestSlot
from performance.core.status import InputState, InputStatus
from performance.core.types import FaceObservation, Observations, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.keys import handle_keys
from performance.runtime.framestats import FrameStats
from performance.runtime.loop import LoopConfig, MainLoop
from performance.show.commands import (
    Blackout,
    Go,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetPlayhead,
)
from performance.show.frame import Layer, ShowFrame

# -- FrameStats ----------------------------------------------------------------------------


def test_frame_stats_mean_percentiles_and_drops() -> None:
    stats = FrameStats(target_period=0.02)
    for _ in range(97):
        stats.record(0.02, 0.005)
    stats.record(0.031)  # over 1.5 x 20 ms: dropped
    stats.record(0.05)
    stats.record(0.03)  # exactly 1.5 x: not dropped
    s = stats.summary()
    assert s.frames == 100
    assert s.dropped == 2
    assert s.mean_ms == pytest.approx((97 * 20 + 31 + 50 + 30) / 100)
    assert s.p95_ms == pytest.approx(20.0)
    assert s.p99_ms == pytest.approx(31.0)
    assert s.target_ms == pytest.approx(20.0)
    assert "dropped 2" in s.format()


def test_frame_stats_uncapped_counts_hitches_as_dropped() -> None:
    stats = FrameStats(target_period=None)
    for t in (0.001, 0.5, 0.002):
        stats.record(t)
    s = stats.summary()
    assert s.dropped == 1 and s.frames == 3  # the 500 ms hitch, seen by any viewer
    assert s.p99_ms == pytest.approx(500.0)
    assert s.p50_ms == pytest.approx(2.0)
    assert "uncapped" in s.format()


def test_a_steadily_slow_run_is_slow_not_dropping() -> None:
    """60 fps asked, 20 fps delivered evenly: no frame is dropped; a hitch among them is."""
    stats = FrameStats(target_period=1 / 60)
    for _ in range(200):
        stats.record(0.050)
    assert stats.summary().dropped == 0
    stats.record(0.120)  # 2.4 x the steady 50 ms
    stats.record(0.070)  # 1.4 x: a viewer does not see it
    s = stats.summary()
    assert s.dropped == 1
    assert s.fps == pytest.approx(1000 / s.mean_ms) and s.fps < 21


def test_frame_stats_latency_percentiles_and_perceived_share() -> None:
    stats = FrameStats(target_period=0.02)
    assert stats.summary().emotion_p50_ms is None
    assert "latency" not in stats.summary().format()
    for i in range(100):
        stats.record(0.02)
        if i % 2 == 0:  # every other frame brings an observation
            stats.observation(0.030 + 0.001 * (i % 10))
            stats.presented(0.045)
    stats.captured, stats.perceived = 100, 50
    s = stats.summary()
    assert s.emotion_p50_ms == pytest.approx(34.0)
    assert s.emotion_p95_ms == pytest.approx(38.0)
    assert s.presented_p95_ms == pytest.approx(45.0)
    assert s.perception_fps == pytest.approx(50 / 2.0)  # 50 frames perceived in 2 s
    assert s.perceived_share == pytest.approx(0.5)
    assert "capture->emotion p50 34 p95 38" in s.format()
    assert "(50% of frames captured)" in s.format()


# -- fakes at the loop's boundaries ---------------------------------------------------------


class FakeShow:
    def __init__(self) -> None:
        self.applied: list[object] = []
        self.ticks: list[tuple[float, int]] = []
        self.status = "running"

    def apply(self, command: object, now: float) -> None:
        self.applied.append(command)
        if isinstance(command, Pause):
            self.status = "paused"

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        self.ticks.append((now, len(emotion.faces)))
        return ShowFrame(time=now, current=Layer("enclave"), status=self.status)


class FakeEngine:
    def __init__(self) -> None:
        self.updates: list[Observations] = []
        self.idles: list[float] = []
        self.neutral_asked: list[float] = []
        self.neutral_note = ""

    def update(self, observations: Observations) -> RoomEmotion:
        self.updates.append(observations)
        return RoomEmotion(timestamp=observations.timestamp)

    def idle(self, now: float) -> RoomEmotion:
        self.idles.append(now)
        return RoomEmotion(timestamp=now)

    def capture_neutral(self, seconds: float) -> None:
        self.neutral_asked.append(seconds)
        self.neutral_note = f"neutral: hold still, reading {seconds:g} s"


@dataclass
class FakeFeed:
    observations: LatestSlot[Observations] = field(default_factory=LatestSlot)
    input_status: InputStatus = field(default_factory=lambda: InputStatus(InputState.LIVE))
    captured: int = 0
    perceived: int = 0

    def pump(self, now: float) -> None:
        pass


class FakeStage:
    """Draw takes `cost` seconds of the manual clock (more on frames listed in `slow`)."""

    def __init__(self, clock: ManualClock, cost: float = 0.004,
                 slow: dict[int, float] | None = None) -> None:
        self.clock, self.cost, self.slow = clock, cost, slow or {}
        self.frames: list[int] = []
        self.reloads = 0
        self.failures: list[str] = []
        self.fail_draw = False

    def draw(self, show: ShowFrame, emotion: RoomEmotion, *, delta: float, frame: int) -> None:
        self.frames.append(frame)
        self.clock.advance(self.slow.get(frame, self.cost))
        if self.fail_draw:
            raise RuntimeError("GL_INVALID_OPERATION")

    def reload(self) -> list[str]:
        self.reloads += 1
        return list(self.failures)


class FakeOutput:
    def __init__(self) -> None:
        self.keys: dict[int, list[str]] = {}
        self.presented: list[OperatorInfo] = []
        self.fullscreen_toggles = 0

    def events(self) -> list[str]:
        return self.keys.pop(len(self.presented), [])

    def present(self, info: OperatorInfo) -> None:
        self.presented.append(info)

    def toggle_fullscreen(self) -> None:
        self.fullscreen_toggles += 1


def make_loop(fps: float = 50.0, seconds: float | None = 1.0, publish=None,
              **stage_args: object):
    clock = ManualClock(100.0)
    parts = dict(show=FakeShow(), engine=FakeEngine(), feed=FakeFeed(),
                 stage=FakeStage(clock, **stage_args), output=FakeOutput(),
                 commands=CommandQueue())
    reports: list[str] = []
    loop = MainLoop(**parts, clock=clock, sleep=clock.advance, report=reports.append,
                    config=LoopConfig(fps=fps, seconds=seconds), publish=publish)
    return loop, parts, clock, reports


# -- pacing and statistics --------------------------------------------------------------------


def test_paces_to_the_target_fps_by_the_injected_clock() -> None:
    loop, _parts, clock, reports = make_loop(fps=50.0, seconds=1.0)
    summary = loop.run()
    assert summary.frames == 50
    assert loop.frame == 50
    assert summary.mean_ms == pytest.approx(20.0)
    assert summary.work_ms == pytest.approx(4.0)
    assert summary.dropped == 0
    assert clock.now() == pytest.approx(101.0)
    assert reports and "50.0 fps" in reports[-1]


def test_slow_frames_count_as_dropped_and_the_schedule_recovers_without_a_burst() -> None:
    loop, parts, _clock, _ = make_loop(fps=50.0, seconds=1.0, slow={10: 0.1, 20: 0.035})
    summary = loop.run()
    assert summary.dropped == 2
    assert summary.p99_ms == pytest.approx(100.0)
    # after the 100 ms frame the loop restarts its schedule instead of rushing 4 frames
    starts = [t for t, _ in parts["show"].ticks]
    gaps = [b - a for a, b in pairwise(starts)]
    assert min(gaps) >= 0.02 - 1e-9


def test_uncapped_runs_back_to_back() -> None:
    loop, _parts, _clock, _ = make_loop(fps=0, seconds=0.1)
    summary = loop.run()
    assert summary.frames == 25  # 4 ms a frame, no waiting
    assert summary.dropped == 0


# -- keys, commands, observations ---------------------------------------------------------


def test_keys_become_commands_for_the_show_and_ctrl_q_quits() -> None:
    loop, parts, _clock, reports = make_loop(seconds=None)
    parts["output"].keys = {2: ["space"], 3: ["escape", "x"], 4: ["right", "b"],
                            5: ["f", "i"], 7: ["ctrl+q"]}
    loop.run()
    assert loop.frame == 8
    assert parts["show"].applied == [Go(), Panic(), SetPlayhead("next"), Blackout()]
    assert parts["output"].fullscreen_toggles == 1
    assert any("fps" in r for r in reports[:-1])  # `i` printed the statistics mid-run
    assert parts["output"].presented[6].stats is not None  # and put them on the overlay


def test_window_close_quits() -> None:
    loop, parts, _clock, _reports = make_loop(seconds=None)
    parts["output"].keys = {3: ["quit"]}
    loop.run()
    assert loop.frame == 4


def test_toggles_follow_the_show_frame() -> None:
    queue: CommandQueue = CommandQueue()
    paused = ShowFrame(time=0.0, current=Layer("x"), status="paused", chaos_mode=True)
    running = ShowFrame(time=0.0, current=Layer("x"))
    assert handle_keys(["p", "c"], queue, running) == []
    assert handle_keys(["p", "c", "i", "f", "ctrl+q"], queue, paused) == \
        ["stats", "fullscreen", "quit"]
    assert queue.drain() == [Pause(), SetChaosMode(True), Resume(), SetChaosMode(False)]


def test_newest_observations_are_restamped_to_the_loop_clock_else_idle() -> None:
    loop, parts, _clock, _ = make_loop(seconds=None)
    face = FaceObservation(bbox=(0.4, 0.4, 0.6, 0.6), blendshapes={})
    slot = parts["feed"].observations
    slot.put(Observations(timestamp=3.0, frame_index=90, source="clip", faces=(face,)))
    slot.put(Observations(timestamp=3.1, frame_index=93, source="clip", faces=(face, face)))
    loop.step()
    loop.step()
    engine = parts["engine"]
    assert [o.frame_index for o in engine.updates] == [93]  # only the newest, once
    assert engine.updates[0].timestamp == pytest.approx(100.0)  # media time -> loop clock
    assert engine.idles == [pytest.approx(100.004)]
    assert loop.max_faces == 2 and loop.observations_taken == 1


def test_each_observation_keeps_its_capture_time_for_the_latency_figures() -> None:
    """Captured at 99.97 on the loop's clock, folded in at 100.0, presented after the 4 ms
    draw: the run reports capture->emotion 30 ms and capture->presented 34 ms."""
    loop, parts, _clock, _ = make_loop(seconds=None)
    face = FaceObservation(bbox=(0.4, 0.4, 0.6, 0.6), blendshapes={})
    parts["feed"].captured, parts["feed"].perceived = 4, 1
    parts["feed"].observations.put(Observations(timestamp=3.0, frame_index=90, source="clip",
                                                faces=(face,), captured=99.97))
    loop.step()
    loop.step()  # nothing new: no second latency sample
    s = loop.stats.summary()
    assert s.emotion_p50_ms == pytest.approx(30.0)
    assert s.presented_p50_ms == pytest.approx(34.0)
    assert s.perceived_share == pytest.approx(0.25)  # one frame perceived of four captured
    assert parts["engine"].updates[0].captured == pytest.approx(99.97)


def test_nothing_raised_in_a_frame_stops_the_picture() -> None:
    loop, parts, _clock, _ = make_loop(seconds=0.2)
    parts["stage"].fail_draw = True
    summary = loop.run()
    assert summary.frames == 10
    assert loop.errors == {"draw: RuntimeError": 10}
    assert any("GL_INVALID_OPERATION" in m for m in parts["output"].presented[-1].messages)


def test_errors_stay_on_the_overlay_through_shader_reloads() -> None:
    loop, parts, clock, _ = make_loop(fps=50.0, seconds=1.5)
    parts["stage"].fail_draw = True
    parts["stage"].failures = ["enclave: shaders/enclave.frag:12: syntax error"]
    loop.run()
    assert parts["stage"].reloads >= 5  # the shader messages were replaced several times
    last = parts["output"].presented[-1]
    assert last.now >= 101.0  # more than a second of loop time
    assert last.messages == ("enclave: shaders/enclave.frag:12: syntax error",
                             "draw failed: GL_INVALID_OPERATION")
    parts["stage"].failures = []  # the shader is fixed: only the draw error remains
    clock.advance(0.25)
    loop.step()
    assert parts["output"].presented[-1].messages == ("draw failed: GL_INVALID_OPERATION",)


def test_shown_statistics_are_recomputed_at_most_four_times_a_second() -> None:
    loop, parts, _clock, reports = make_loop(fps=50.0, seconds=2.0)
    parts["output"].keys = {0: ["i"]}
    summaries = 0
    real_summary = loop.stats.summary

    def counting_summary():  # type: ignore[no-untyped-def]
        nonlocal summaries
        summaries += 1
        return real_summary()

    loop.stats.summary = counting_summary  # type: ignore[method-assign]
    loop.run()
    shown = [info.stats for info in parts["output"].presented]
    assert all(text is not None for text in shown)  # 2 s, inside the 6 s it stays up
    assert summaries <= 1 + 2 * 4 + 1  # the key, 4 a second, the final report
    assert len(set(shown)) >= 5  # but it does follow the run
    assert reports[0].removeprefix("essence: ") == shown[0]


def test_hot_reload_polls_four_times_a_second_and_errors_reach_the_operator_only() -> None:
    loop, parts, _clock, _ = make_loop(fps=60.0, seconds=1.0)
    parts["stage"].failures = ["enclave: shaders/enclave.frag:12: syntax error"]
    loop.run()
    assert parts["stage"].reloads == 4
    info = parts["output"].presented[-1]
    assert info.messages == ("enclave: shaders/enclave.frag:12: syntax error",)


def test_publish_gets_each_show_frame_and_emotion() -> None:
    published: list[tuple[float, float]] = []
    loop, _parts, _clock, _ = make_loop(
        fps=50.0, seconds=0.1, publish=lambda s, e: published.append((s.time, e.timestamp)))
    loop.run()
    assert len(published) == 5
    assert published[0] == (pytest.approx(100.0), pytest.approx(100.0))
    assert published[-1][0] == pytest.approx(100.08)


def test_the_neutral_key_starts_the_engines_capture_and_the_overlay_says_so() -> None:
    loop, parts, _clock, _ = make_loop(seconds=0.5)
    parts["output"].keys = {3: ["n"]}
    loop.run()
    assert parts["engine"].neutral_asked == [NEUTRAL_SECONDS]
    assert parts["show"].applied == []  # never the show's
    shown = [info.messages for info in parts["output"].presented]
    line = f"neutral: hold still, reading {NEUTRAL_SECONDS:g} s"
    assert not any(shown[:3]) and all(line in m for m in shown[3:])
