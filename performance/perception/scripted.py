"""A scripted audience: virtual faces for demos and rehearsal without people. No MediaPipe.

Owns a deterministic stand-in at the perception boundary: `ScriptedAudience.observe(t)`
returns the `Observations` a landmarker would publish, for a few faces whose real MediaPipe
blendshapes move through moods over time (calm, joy, tension, fear/surprise, sad), whose
positions drift, who blink, and one of whom arrives and leaves now and then. The same
(faces, seed, t) always gives the same result.
"""

from __future__ import annotations

import math

import numpy as np

from performance.config import DEFAULT_SCRIPTED_FACES
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import FaceObservation, Observations

MOODS: tuple[str, ...] = ("calm", "joy", "tension", "fear", "sad")
HOLD_S = 8.0
BLEND_S = 4.0
SEGMENT_S = HOLD_S + BLEND_S
CYCLE_S = SEGMENT_S * len(MOODS)
VISITOR_PERIOD_S = 45.0
VISITOR_PRESENT_S = 30.0
FPS = 30.0

_BOTH = ("Left", "Right")


def _pair(stem: str, value: float) -> dict[str, float]:
    return {f"{stem}{side}": value for side in _BOTH}


PROFILES: dict[str, dict[str, float]] = {
    "calm": {"_neutral": 0.9, "mouthClose": 0.05, **_pair("mouthSmile", 0.05)},
    "joy": {
        "_neutral": 0.1, **_pair("mouthSmile", 0.85), **_pair("cheekSquint", 0.5),
        **_pair("eyeSquint", 0.35), **_pair("mouthDimple", 0.25), **_pair("mouthUpperUp", 0.2),
        "jawOpen": 0.15,
    },
    "tension": {
        "_neutral": 0.1, **_pair("browDown", 0.8), **_pair("noseSneer", 0.4),
        **_pair("mouthPress", 0.55), **_pair("eyeSquint", 0.45), **_pair("mouthFrown", 0.3),
        "jawForward": 0.2, "mouthRollLower": 0.2,
    },
    "fear": {
        "_neutral": 0.05, "browInnerUp": 0.8, **_pair("browOuterUp", 0.7),
        **_pair("eyeWide", 0.7), "jawOpen": 0.5, **_pair("mouthStretch", 0.35),
        "mouthFunnel": 0.2, **_pair("mouthLowerDown", 0.25),
    },
    "sad": {
        "_neutral": 0.2, "browInnerUp": 0.6, **_pair("mouthFrown", 0.6),
        **_pair("eyeLookDown", 0.35), "mouthPucker": 0.2, "mouthShrugLower": 0.35,
        "mouthRollLower": 0.15, **_pair("eyeSquint", 0.15),
    },
}
BASELINE = 0.02


def mood_weights(t: float) -> dict[str, float]:
    """The share of each mood at time `t` of the shared timeline (weights sum to 1)."""
    phase = t % CYCLE_S
    index = int(phase // SEGMENT_S)
    within = phase - index * SEGMENT_S
    weights = dict.fromkeys(MOODS, 0.0)
    current, following = MOODS[index], MOODS[(index + 1) % len(MOODS)]
    if within < HOLD_S:
        weights[current] = 1.0
    else:
        blend = 0.5 - 0.5 * math.cos(math.pi * (within - HOLD_S) / BLEND_S)
        weights[current] = 1.0 - blend
        weights[following] += blend
    return weights


def dominant_mood(t: float) -> str:
    """The mood with the largest weight at `t` on the shared timeline."""
    weights = mood_weights(t)
    return max(weights, key=lambda m: weights[m])


class ScriptedAudience:
    """`faces` virtual people (0: an empty room, the kiosk's safe mode); with two or more, the
    last is a visitor who comes and goes."""

    def __init__(self, faces: int = DEFAULT_SCRIPTED_FACES, seed: int = 0, *,
                 source: str = "scripted") -> None:
        if faces < 0:
            raise ValueError(f"a scripted audience cannot have {faces} faces")
        self.faces = faces
        self.seed = seed
        self.source = source
        rng = np.random.default_rng(seed)
        slots = np.linspace(0.2, 0.8, faces) if faces > 1 else np.array([0.5])
        self._base_x = slots + rng.uniform(-0.03, 0.03, faces)
        self._base_y = 0.45 + rng.uniform(-0.05, 0.05, faces)
        self._size = rng.uniform(0.06, 0.1, faces)
        self._lag = np.arange(faces) * 1.5 + rng.uniform(0.0, 1.0, faces)
        self._freq = rng.uniform(0.03, 0.12, (faces, 4))
        self._phase = rng.uniform(0.0, 2 * math.pi, (faces, 4 + len(BLENDSHAPE_NAMES)))
        self._blink_period = rng.uniform(3.0, 5.5, faces)
        self._visitor_offset = float(rng.uniform(0.0, VISITOR_PERIOD_S))
        self._jitter_freq = rng.uniform(0.2, 0.7, len(BLENDSHAPE_NAMES))

    def present(self, index: int, t: float) -> bool:
        """Whether face `index` is in view at `t` (only the visitor ever leaves)."""
        if self.faces < 2 or index != self.faces - 1:
            return True
        return (t + self._visitor_offset) % VISITOR_PERIOD_S < VISITOR_PRESENT_S

    def _blendshapes(self, k: int, t: float) -> dict[str, float]:
        weights = mood_weights(max(0.0, t - float(self._lag[k])))
        out: dict[str, float] = {}
        for j, name in enumerate(BLENDSHAPE_NAMES):
            value = sum(w * PROFILES[m].get(name, BASELINE) for m, w in weights.items())
            jitter = 0.04 * math.sin(self._jitter_freq[j] * t + self._phase[k, 4 + j])
            out[name] = value + jitter
        blink_t = (t + self._phase[k, 0]) % self._blink_period[k]
        if blink_t < 0.15:
            closed = math.sin(math.pi * blink_t / 0.15)
            for side in _BOTH:
                out[f"eyeBlink{side}"] = max(out[f"eyeBlink{side}"], 0.9 * closed)
        return {name: float(min(1.0, max(0.0, v))) for name, v in out.items()}

    def _face(self, k: int, t: float) -> FaceObservation:
        f, p = self._freq[k], self._phase[k]
        cx = self._base_x[k] + 0.04 * math.sin(2 * math.pi * f[0] * t + p[0])
        cy = self._base_y[k] + 0.03 * math.sin(2 * math.pi * f[1] * t + p[1])
        w = float(self._size[k])
        h = w * 16.0 / 9.0 * 1.2  # a face is taller than wide; frames are 16:9
        bbox = (
            float(np.clip(cx - w / 2, 0.0, 1.0)), float(np.clip(cy - h / 2, 0.0, 1.0)),
            float(np.clip(cx + w / 2, 0.0, 1.0)), float(np.clip(cy + h / 2, 0.0, 1.0)),
        )
        return FaceObservation(
            bbox=bbox,
            blendshapes=self._blendshapes(k, t),
            yaw=15.0 * math.sin(2 * math.pi * f[2] * t + p[2]),
            pitch=8.0 * math.sin(2 * math.pi * f[3] * t + p[3]),
            roll=4.0 * math.sin(2 * math.pi * f[2] * 0.5 * t + p[3]),
        )

    def observe(self, t: float) -> Observations:
        """What a landmarker would report at time `t` (seconds)."""
        faces = tuple(self._face(k, t) for k in range(self.faces) if self.present(k, t))
        return Observations(
            timestamp=float(t),
            frame_index=round(t * FPS),
            source=self.source,
            faces=faces,
            media_time=float(t),
        )
