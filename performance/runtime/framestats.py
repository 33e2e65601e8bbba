"""A run's statistics: frame times, dropped frames, latency and how much perception keeps up.

The main loop records one frame at each frame start and each observation's latency when it
folds it in and when the frame showing it is presented; `summary()` gives the figures
printed at the end of a run, on the `i` key and over OSC (`/essence/state`).

A frame counts as *dropped* when a viewer would see it: it took longer than 1.5 times the
picture's own steady pace (the greater of the target period and the median of the last
frames), so a run that is steadily slower than its target is slow, not "dropping" every
frame, and a hitch in an uncapped run still counts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from statistics import median

from performance.core.stats import percentile

DROP_FACTOR = 1.5  # a frame longer than this many steady periods counts as dropped
PACE_FRAMES = 60  # the steady pace is the median of this many recent frame times
PACE_EVERY = 15  # ... recomputed every this many frames


@dataclass(frozen=True)
class StatsSummary:
    """Frame-time and latency figures in milliseconds (over the last `window` frames or
    observations) and counts. Latencies are None before the first observation."""

    frames: int
    dropped: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    work_ms: float  # mean time spent working in a frame (not waiting for the next one)
    target_ms: float | None
    emotion_p50_ms: float | None = None  # capture -> emotion estimate on the loop
    emotion_p95_ms: float | None = None
    presented_p50_ms: float | None = None  # capture -> the frame showing it presented
    presented_p95_ms: float | None = None
    inference_p50_ms: float | None = None  # perception's work on one frame
    inference_p95_ms: float | None = None
    perception_fps: float = 0.0  # frames perception finished per second of the run
    perceived_share: float | None = None  # of the frames captured (None: no camera)

    @property
    def fps(self) -> float:
        return 1000.0 / self.mean_ms if self.mean_ms > 0 else 0.0

    def format(self) -> str:
        target = f" (target {self.target_ms:.1f})" if self.target_ms else " (uncapped)"
        line = (f"frames {self.frames}, {self.fps:.1f} fps; frame time ms: p50 "
                f"{self.p50_ms:.2f}, mean {self.mean_ms:.2f}, p95 {self.p95_ms:.2f}, p99 "
                f"{self.p99_ms:.2f}{target}; work {self.work_ms:.2f} ms; dropped {self.dropped}")
        if self.emotion_p50_ms is not None:
            line += (f"; latency ms capture->emotion p50 {self.emotion_p50_ms:.0f} p95 "
                     f"{self.emotion_p95_ms:.0f}, capture->presented p50 "
                     f"{self.presented_p50_ms:.0f} p95 {self.presented_p95_ms:.0f}")
        line += f"; perception {self.perception_fps:.1f} fps"
        if self.inference_p50_ms is not None:
            line += (f", inference ms p50 {self.inference_p50_ms:.1f} p95 "
                     f"{self.inference_p95_ms:.1f}")
        if self.perceived_share is not None:
            line += f" ({100.0 * self.perceived_share:.0f}% of frames captured)"
        return line


def _ms(ordered: list[float], q: float) -> float | None:
    return percentile(ordered, q) * 1000.0 if ordered else None


class FrameStats:
    """Frame times (start to start), work times, latencies; see the module docstring."""

    def __init__(self, target_period: float | None, window: int = 6000) -> None:
        self.target_period = target_period
        self.frames = 0
        self.dropped = 0
        self.observed = 0  # observations folded in
        self.captured = 0  # frames the input captured (told by the loop)
        self.perceived = 0  # frames perception finished (told by the loop)
        self.seconds = 0.0  # the run's length so far (sum of frame times)
        self._times: deque[float] = deque(maxlen=window)
        self._work: deque[float] = deque(maxlen=window)
        self._emotion: deque[float] = deque(maxlen=window)
        self._presented: deque[float] = deque(maxlen=window)
        self._inference: deque[float] = deque(maxlen=window)
        self._pace = target_period or 0.0

    def record(self, frame_time: float, work_time: float | None = None) -> None:
        """Count one frame that took `frame_time` seconds from its start to the next start."""
        self.frames += 1
        self.seconds += frame_time
        if self._times and frame_time > DROP_FACTOR * self._pace:
            self.dropped += 1
        self._times.append(frame_time)
        self._work.append(frame_time if work_time is None else work_time)
        if self.frames % PACE_EVERY == 0 or self.frames < PACE_EVERY:
            recent = list(self._times)[-PACE_FRAMES:]
            self._pace = max(self.target_period or 0.0, median(recent))

    def observation(self, to_emotion: float | None, inference: float | None = None) -> None:
        """One observation folded in, `to_emotion` seconds after its frame was captured
        (None: not known) and `inference` seconds of perception's work."""
        self.observed += 1
        if to_emotion is not None:
            self._emotion.append(max(0.0, to_emotion))
        if inference is not None:
            self._inference.append(inference)

    def presented(self, latency: float) -> None:
        """The frame showing an observation presented, `latency` s after its capture."""
        self._presented.append(max(0.0, latency))

    def summary(self) -> StatsSummary:
        times = sorted(self._times)  # one sort for every percentile
        mean = sum(times) / len(times) if times else 0.0
        work = sum(self._work) / len(self._work) if self._work else 0.0
        emotion, presented = sorted(self._emotion), sorted(self._presented)
        inference = sorted(self._inference)
        return StatsSummary(
            frames=self.frames,
            dropped=self.dropped,
            mean_ms=mean * 1000.0,
            p50_ms=percentile(times, 50) * 1000.0,
            p95_ms=percentile(times, 95) * 1000.0,
            p99_ms=percentile(times, 99) * 1000.0,
            work_ms=work * 1000.0,
            target_ms=None if not self.target_period else self.target_period * 1000.0,
            emotion_p50_ms=_ms(emotion, 50), emotion_p95_ms=_ms(emotion, 95),
            presented_p50_ms=_ms(presented, 50), presented_p95_ms=_ms(presented, 95),
            inference_p50_ms=_ms(inference, 50), inference_p95_ms=_ms(inference, 95),
            perception_fps=self.perceived / self.seconds if self.seconds > 0 else 0.0,
            perceived_share=min(1.0, self.perceived / self.captured) if self.captured else None,
        )
