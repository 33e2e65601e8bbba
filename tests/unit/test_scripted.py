"""The scripted audience: deterministic, real blendshape names, values in range, moods move."""

from __future__ import annotations

import itertools

import numpy as np

from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.perception.scripted import (
    CYCLE_S,
    MOODS,
    ScriptedAudience,
    dominant_mood,
    mood_weights,
)

TIMES = np.arange(0.0, 2 * CYCLE_S, 0.5)


def test_deterministic() -> None:
    a, b = ScriptedAudience(3, seed=7), ScriptedAudience(3, seed=7)
    for t in (0.0, 1.25, 33.3, 400.0):
        assert a.observe(t) == b.observe(t)
    assert ScriptedAudience(3, seed=8).observe(5.0) != a.observe(5.0)


def test_names_are_mediapipe_blendshapes_and_values_in_range() -> None:
    audience = ScriptedAudience(4, seed=1)
    for t in TIMES:
        obs = audience.observe(float(t))
        assert obs.timestamp == float(t)
        for face in obs.faces:
            assert set(face.blendshapes) == set(BLENDSHAPE_NAMES)
            assert all(0.0 <= v <= 1.0 for v in face.blendshapes.values())
            x0, y0, x1, y1 = face.bbox
            assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0


def test_blendshape_names_match_mediapipe() -> None:
    import pytest

    landmarker = pytest.importorskip("mediapipe.tasks.python.vision.face_landmarker")
    names = [m.name for m in landmarker.Blendshapes]
    assert len(names) == len(BLENDSHAPE_NAMES) == 52
    camel = ["_neutral"] + [
        n.split("_")[0].lower() + "".join(p.title() for p in n.split("_")[1:]) for n in names[1:]
    ]
    assert tuple(camel) == BLENDSHAPE_NAMES


def test_moods_cycle_and_show_in_blendshapes() -> None:
    seen = {dominant_mood(float(t)) for t in TIMES}
    assert seen == set(MOODS)
    for t in TIMES:
        assert abs(sum(mood_weights(float(t)).values()) - 1.0) < 1e-9
    audience = ScriptedAudience(1, seed=0)
    lag = float(audience._lag[0])

    def mean_at(mood: str, name: str) -> float:
        t = MOODS.index(mood) * 12.0 + 4.0 + lag
        return float(audience.observe(t).faces[0].blendshapes[name])

    assert mean_at("joy", "mouthSmileLeft") > 0.6 > mean_at("calm", "mouthSmileLeft")
    assert mean_at("tension", "browDownLeft") > 0.6
    assert mean_at("fear", "eyeWideRight") > 0.5
    assert mean_at("sad", "mouthFrownLeft") > 0.4


def test_visitor_arrives_and_leaves_and_faces_drift() -> None:
    audience = ScriptedAudience(3, seed=2)
    counts = [len(audience.observe(float(t)).faces) for t in TIMES]
    assert set(counts) == {2, 3}
    changes = sum(1 for a, b in itertools.pairwise(counts) if a != b)
    assert changes >= 2  # arrives and leaves
    first = audience.observe(0.0).faces[0].center
    later = audience.observe(7.0).faces[0].center
    assert first != later
    assert len({len(ScriptedAudience(1).observe(float(t)).faces) for t in TIMES}) == 1
