"""Face identities stay stable while a face is in view and are forgotten after a timeout."""

from __future__ import annotations

import numpy as np

from performance.core.types import FaceObservation
from performance.emotion.tracker import FaceTracker


def face(cx: float, cy: float, w: float = 0.1) -> FaceObservation:
    return FaceObservation(bbox=(cx - w / 2, cy - w / 2, cx + w / 2, cy + w / 2), blendshapes={})


def test_ids_follow_moving_faces_even_when_order_swaps() -> None:
    tracker = FaceTracker(confirm_hits=1)
    first = tracker.update((face(0.2, 0.5), face(0.7, 0.5)), 0.0)
    assert first.arrived == [1, 2]
    seen: dict[int, set[str]] = {}
    for step in range(1, 30):
        t = step / 30
        a, b = face(0.2 + 0.005 * step, 0.5), face(0.7 - 0.005 * step, 0.5)
        # perception gives faces in any order
        result = tracker.update((b, a) if step % 2 else (a, b), t)
        assert result.arrived == [] and result.departed == []
        for track, obs in result.matched:
            seen.setdefault(track.face_id, set()).add("a" if obs is a else "b")
    assert seen == {1: {"a"}, 2: {"b"}}


def test_brief_dropout_keeps_the_id_and_long_absence_forgets_it() -> None:
    tracker = FaceTracker(forget_after=1.0, confirm_hits=1)
    tracker.update((face(0.5, 0.5),), 0.0)
    assert tracker.update((), 0.5).departed == []
    again = tracker.update((face(0.51, 0.5),), 0.8)
    assert again.arrived == [] and again.matched[0][0].face_id == 1
    assert tracker.update((), 1.5).departed == []
    assert tracker.update((), 1.9).departed == [1]
    back = tracker.update((face(0.5, 0.5),), 2.0)
    assert back.arrived == [2]


def test_a_distant_new_face_gets_a_new_id() -> None:
    tracker = FaceTracker(confirm_hits=1)
    tracker.update((face(0.1, 0.5),), 0.0)
    result = tracker.update((face(0.1, 0.5), face(0.9, 0.5)), 0.04)
    assert result.arrived == [2]
    assert sorted(t.face_id for t, _ in result.matched) == [1, 2]


def test_velocity_is_measured_in_frame_widths_per_second() -> None:
    tracker = FaceTracker()
    for i in range(10):
        tracker.update((face(0.3 + 0.01 * i, 0.5),), i * 0.1)
    assert abs(tracker.tracks[1].speed - 0.1) < 0.01


def test_a_one_frame_false_detection_never_becomes_a_face() -> None:
    tracker = FaceTracker(confirm_hits=3)
    blip = tracker.update((face(0.6, 0.4),), 0.0)
    assert blip.arrived == []
    assert tracker.update((), 0.04).departed == []
    assert tracker.update((), 0.5).departed == []  # dropped quietly, never counted
    assert tracker.tracks == {}
    steady = [tracker.update((face(0.3, 0.5),), 1.0 + i / 30).arrived for i in range(4)]
    assert steady == [[], [], [2], []]


def _pairwise_matches(tracker: FaceTracker, faces: tuple[FaceObservation, ...],
                      now: float) -> list[tuple[int, int]]:
    """The matching rule written pair by pair: (track id, face index), greedy on distance
    (ties: lower id, then lower index), each track and face used once."""
    candidates = []
    for track in tracker.tracks.values():
        lag = min(max(now - track.last_seen, 0.0), 0.5)
        tx, ty = (track.center[0] + track.velocity[0] * lag,
                  track.center[1] + track.velocity[1] * lag)
        for index, f in enumerate(faces):
            scale = max(track.size, f.size, 1e-3)
            distance = ((f.center[0] - tx) ** 2 + (f.center[1] - ty) ** 2) ** 0.5 / scale
            if distance <= tracker.max_jump:
                candidates.append((distance, track.face_id, index))
    matches, tracks, used = [], set(), set()
    for _, face_id, index in sorted(candidates):
        if face_id not in tracks and index not in used:
            tracks.add(face_id)
            used.add(index)
            matches.append((face_id, index))
    return matches


def test_matching_all_pairs_at_once_equals_the_pairwise_rule() -> None:
    """Crowded random scenes (faces overlapping, arriving, leaving, jumping): the tracker's
    one-array matching picks exactly the pairs the pair-by-pair rule picks."""
    rng = np.random.default_rng(7)
    tracker = FaceTracker(confirm_hits=2)
    for step in range(300):
        now = step / 15
        n = int(rng.integers(0, 12))
        faces = tuple(face(float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9)),
                           float(rng.uniform(0.03, 0.2))) for _ in range(n))
        want = _pairwise_matches(tracker, faces, now)
        result = tracker.update(faces, now)
        got = [(t.face_id, faces.index(f)) for t, f in result.matched[:len(want)]]
        assert got == want, step
