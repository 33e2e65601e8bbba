"""A replay's emotion engine refuses the neutral key: a baseline read from replayed faces
would make the show differ from the recording it replays."""

from __future__ import annotations

from performance.config import Settings
from performance.core.types import Observations
from performance.recording.replay import REPLAY_NEUTRAL_NOTE, ReplayEngine
from performance.runtime.pipeline import engine_from_settings


def test_the_neutral_key_is_refused_during_a_replay_and_the_engine_is_untouched() -> None:
    inner = engine_from_settings(Settings())
    engine = ReplayEngine(inner)
    before = engine.neutral_note
    engine.capture_neutral(5.0)
    assert engine.neutral_note == REPLAY_NEUTRAL_NOTE != before
    assert inner.neutral is None and inner.neutral_note == before  # no capture started
    seen = Observations(timestamp=1.0, frame_index=0, source="replay", faces=())
    assert engine.update(seen).timestamp == 1.0  # the replayed faces still go through it
