"""The emotion engine with a camera calibration's performer zone and the venue baseline:
the performer is read apart and left out of the crowd; a room whose resting faces read sad
reads neutral once the venue baseline has learned it (in memory only)."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import FaceObservation, FaceRole, Observations
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping
from performance.emotion.venue import VenueBaseline


@pytest.fixture(scope="module")
def mapping() -> EmotionMapping:
    return EmotionMapping.load()


def scores(mapping: EmotionMapping, smile: float = 0.0, frown: float = 0.0
           ) -> dict[str, float]:
    out = dict(mapping.resting_blendshapes)
    for side in ("Left", "Right"):
        out[f"mouthSmile{side}"] = smile
        out[f"cheekSquint{side}"] = 0.2 * smile
        out[f"mouthFrown{side}"] = frown
    out["browInnerUp"] = frown
    return out


def face(x: float, blendshapes: dict[str, float], role: FaceRole = FaceRole.AUDIENCE
         ) -> FaceObservation:
    return FaceObservation(bbox=(x - 0.05, 0.4, x + 0.05, 0.5), blendshapes=blendshapes,
                           role=role)


def test_the_performer_is_read_apart_and_left_out_of_the_crowd(
        mapping: EmotionMapping) -> None:
    engine = EmotionEngine(mapping, smooth_time=0.3)
    for i in range(90):
        t = i / 30
        state = engine.update(Observations(t, i, "t", (
            face(0.2, scores(mapping)), face(0.5, scores(mapping)),
            face(0.8, scores(mapping, smile=0.9), FaceRole.PERFORMER))))
    assert len(state.faces) == 2 and all(f.center[0] < 0.6 for f in state.faces)
    assert state.crowd.face_count == pytest.approx(2.0, abs=0.1)
    assert state.performer is not None and state.performer.label == "happy"
    assert state.crowd.valence < state.performer.valence - 0.3  # the smile is not the room's
    plain = EmotionEngine(mapping, smooth_time=0.3)
    for i in range(90):
        plain_state = plain.update(Observations(i / 30, i, "t", (face(0.5, scores(mapping)),)))
    assert plain_state.performer is None
    later = engine.idle(3.0 + 10.0)  # the performer left: no reading
    assert later.performer is None


def sad_room(mapping: EmotionMapping, minutes: float, seconds: float) -> list[tuple[float, str]]:
    """A room of resting faces that look sad to the population's baseline (the light, the
    angle); a new person every 5 s, each staying 5 s. (time, label of the newest face's
    first reading)."""
    engine = EmotionEngine(mapping, venue_baseline_s=minutes * 60.0, forget_after=0.2)
    rest = scores(mapping, frown=0.5)
    firsts = []
    fps = 10
    for i in range(int(seconds * fps)):
        t = i / fps
        x = 0.2 + 0.6 * ((i // (5 * fps)) % 2)  # each newcomer sits elsewhere
        state = engine.update(Observations(t, i, "t", (face(x, rest),)))
        if i % (5 * fps) == 1 and state.faces:
            firsts.append((t, state.faces[-1].raw.label))
    return firsts


def test_a_room_that_reads_sad_at_rest_reads_neutral_after_the_venue_baseline(
        mapping: EmotionMapping) -> None:
    learned = sad_room(mapping, minutes=1.0, seconds=120.0)
    before = [label for t, label in learned if t < 60.0]
    after = [label for t, label in learned if t > 61.0]
    assert before and set(before) == {"sad"}
    assert after and set(after) == {"neutral"}
    never = sad_room(mapping, minutes=0.0, seconds=120.0)  # off: still sad
    assert {label for _, label in never} == {"sad"}


def test_the_venue_baseline_is_the_mean_of_its_first_seconds() -> None:
    venue = VenueBaseline(2.0)
    assert venue.add(np.array([[1.0, 0.0], [3.0, 2.0]]), 0.0) is None
    assert venue.add(np.array([2.0, 4.0]), 1.0) is None
    value = venue.add(np.array([9.0, 9.0]), 2.5)
    assert value is not None and value.tolist() == [2.0, 2.0]
    assert venue.done and venue.add(np.array([0.0, 0.0]), 3.0) is None
    with pytest.raises(ValueError):
        VenueBaseline(0.0)


def test_the_neutral_key_reads_the_performers_resting_face_as_the_baseline(
        mapping: EmotionMapping) -> None:
    """A performer whose resting face reads sad to the population's baseline: after the
    operator's neutral capture (key n; 2 s of the largest face), newcomers with that face
    read neutral; a smaller face beside it is not what was read."""
    engine = EmotionEngine(mapping, forget_after=0.2, learn_baseline=False)
    rest, smile = scores(mapping, frown=0.5), scores(mapping, smile=0.9)
    small = FaceObservation(bbox=(0.8, 0.4, 0.83, 0.43), blendshapes=smile)

    def first_reading(t0: float, x: float) -> str:  # a newcomer, once confirmed
        for i in range(3):
            state = engine.update(Observations(t0 + i / 10, i, "t", (face(x, rest),)))
        return state.faces[-1].raw.label

    assert first_reading(0.0, 0.2) == "sad"
    engine.capture_neutral(2.0)
    for i in range(1, 40):
        engine.update(Observations(1.0 + i / 10, i, "t", (face(0.2, rest), small)))
    engine.idle(8.0)  # everyone leaves
    assert engine.neutral is None and engine.neutral_note.startswith("neutral set from 2")
    assert first_reading(10.0, 0.5) == "neutral"  # a newcomer with the performer's rest
