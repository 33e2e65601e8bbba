"""Crowd aggregates: counts, churn, mood, spread, chaos, and decay to 'no audience'."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import EMOTIONS, EmotionReading, FaceEmotion
from performance.emotion.crowd import CrowdAggregator, crowd_spread


def reading(label: str, valence: float, arousal: float) -> EmotionReading:
    probabilities = [0.02] * len(EMOTIONS)
    probabilities[EMOTIONS.index(label)] = 1 - 0.02 * (len(EMOTIONS) - 1)
    return EmotionReading(tuple(probabilities), valence, arousal)


def face(i: int, label: str, valence: float, arousal: float, motion: float = 0.0) -> FaceEmotion:
    r = reading(label, valence, arousal)
    return FaceEmotion(i, (0.1 * i, 0.5), 0.1, r, r, age=1.0, motion=motion)


def settle(agg: CrowdAggregator, faces: list[FaceEmotion], start: float, seconds: float,
           fps: float = 30.0, **events: int) -> float:
    t = start
    agg.update(faces, t, **events)
    for _ in range(round(seconds * fps)):
        t += 1 / fps
        agg.update(faces, t)
    return t


def test_happy_room_is_positive_and_calm() -> None:
    agg = CrowdAggregator()
    faces = [face(i, "happy", 0.7, 0.3) for i in range(3)]
    settle(agg, faces, 0.0, 5.0, arrivals=3)
    s = agg.latest
    assert s.face_count == pytest.approx(3.0, abs=0.01)
    assert s.valence == pytest.approx(0.7, abs=0.01)
    assert s.emotions[EMOTIONS.index("happy")] > 0.8
    assert s.spread < 0.05
    assert s.presence == pytest.approx(1.0, abs=0.01)
    assert s.arrivals_per_min == pytest.approx(3.0, abs=0.1)


def test_divided_agitated_moving_room_is_chaotic() -> None:
    calm, wild = CrowdAggregator(), CrowdAggregator()
    settle(calm, [face(i, "neutral", 0.0, 0.0) for i in range(5)], 0.0, 4.0)
    mixed = [face(0, "happy", 0.8, 0.8, 0.6), face(1, "angry", -0.7, 0.9, 0.6),
             face(2, "fearful", -0.6, 0.8, 0.6), face(3, "surprised", 0.2, 0.9, 0.6),
             face(4, "sad", -0.6, -0.3, 0.6)]
    settle(wild, mixed, 0.0, 4.0, arrivals=12, departures=8)
    assert calm.latest.chaos < 0.1
    assert wild.latest.chaos > 0.6
    assert wild.latest.spread > 0.5


def test_empty_room_decays_smoothly_to_no_audience() -> None:
    agg = CrowdAggregator(smooth_time=0.8)
    t = settle(agg, [face(0, "angry", -0.7, 0.8, 0.5), face(1, "happy", 0.8, 0.9)], 0.0, 3.0)
    before = agg.latest
    trace = []
    for _ in range(150):
        t += 1 / 30
        trace.append(agg.update([], t))
    # smooth: no big jumps from one frame to the next
    counts = np.array([s.face_count for s in trace])
    assert np.max(np.abs(np.diff(counts))) < 0.2
    assert before.face_count > 1.9
    end = trace[-1]
    assert end.face_count < 0.01 and abs(end.valence) < 0.01 and end.chaos < 0.01
    assert end.presence < 0.01
    assert end.emotions[0] > 0.99


def test_churn_window_forgets_old_arrivals() -> None:
    agg = CrowdAggregator(churn_window=60.0, smooth_time=0.1)
    agg.update([], 0.0, arrivals=6)
    t = settle(agg, [], 0.0, 2.0)
    assert agg.latest.arrivals_per_min == pytest.approx(6.0, abs=0.1)
    settle(agg, [], t, 62.0, fps=5.0)
    assert agg.latest.arrivals_per_min < 0.01


def test_spread_is_zero_for_one_face_and_for_a_unanimous_room() -> None:
    one = np.array([[0.5, 0.5]])
    assert crowd_spread(one, np.eye(7)[[1]]) == 0.0
    same = np.array([[0.5, 0.5]] * 4)
    assert crowd_spread(same, np.eye(7)[[1, 1, 1, 1]]) == 0.0
    split = np.array([[1.0, 1.0], [-1.0, -1.0]])
    assert crowd_spread(split, np.eye(7)[[1, 2]]) > 0.9
