"""`FrameUniforms`: the per-frame values the renderer turns into shared uniforms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from performance.core.types import EMOTIONS, CrowdReading, FaceEmotion
from performance.render.uniforms import MAX_FACES, UNIFORMS_BY_NAME

InputValue = float | tuple[float, ...]
FaceSlot = tuple[float, float, float, float, float]  # x, y (0..1, y up), valence, arousal, size

_NEUTRAL = (1.0,) + (0.0,) * (len(EMOTIONS) - 1)


@dataclass(frozen=True)
class FrameUniforms:
    """Everything a frame needs besides the visual name: time, crowd emotion, show position.

    `faces` holds at most MAX_FACES slots (x, y, valence, arousal, size), x/y in 0..1 of the
    picture with y up. `inputs` is the default for shader inputs when render() gets none.
    """

    time: float = 0.0
    delta: float = 0.0
    frame: int = 0
    resolution: tuple[int, int] = (1, 1)
    valence: float = 0.0
    arousal: float = 0.0
    emotions: tuple[float, ...] = _NEUTRAL
    face_count: float = 0.0
    chaos: float = 0.0
    spread: float = 0.0
    motion: float = 0.0
    presence: float = 0.0
    act: int = 0
    cue_progress: float = 0.0
    faces: tuple[FaceSlot, ...] = ()
    inputs: Mapping[str, InputValue] = field(default_factory=dict)

    @classmethod
    def from_crowd(
        cls,
        crowd: CrowdReading,
        faces: Sequence[FaceEmotion] = (),
        *,
        time: float,
        delta: float,
        frame: int,
        resolution: tuple[int, int],
        act: int = 0,
        cue_progress: float = 0.0,
        inputs: Mapping[str, InputValue] | None = None,
        mirror_x: bool = False,
    ) -> FrameUniforms:
        """Build a state from the emotion layer's output.

        Keeps the MAX_FACES largest faces, ordered by face id so a face keeps its slot, flips
        y (image y-down -> GL y-up) and optionally mirrors x (for a camera facing the room).
        """
        chosen = sorted(faces, key=lambda f: f.size, reverse=True)[:MAX_FACES]
        slots: list[FaceSlot] = []
        for face in sorted(chosen, key=lambda f: f.face_id):
            x, y = face.center
            slots.append((
                1.0 - x if mirror_x else x,
                1.0 - y,
                face.smoothed.valence,
                face.smoothed.arousal,
                face.size,
            ))
        return cls(
            time=time, delta=delta, frame=frame, resolution=resolution,
            valence=crowd.valence, arousal=crowd.arousal, emotions=tuple(crowd.emotions),
            face_count=crowd.face_count, chaos=crowd.chaos, spread=crowd.spread,
            motion=crowd.motion, presence=crowd.presence, act=act, cue_progress=cue_progress,
            faces=tuple(slots), inputs=dict(inputs or {}),
        )

    def uniform_values(self, *, transition: float = 1.0) -> dict[str, Any]:
        """Values for every uniform of the table, clamped to its range (flat lists for arrays)."""
        faces = list(self.faces[:MAX_FACES])
        face_vecs = [c for f in faces for c in (f[0], f[1], f[2], f[3])]
        face_vecs += [0.0] * (4 * MAX_FACES - len(face_vecs))
        sizes = [f[4] for f in faces] + [0.0] * (MAX_FACES - len(faces))
        emotions = (list(self.emotions) + [0.0] * len(EMOTIONS))[: len(EMOTIONS)]
        raw: dict[str, Any] = {
            "u_time": self.time,
            "u_delta": self.delta,
            "u_frame": self.frame,
            "u_resolution": list(self.resolution),
            "u_valence": self.valence,
            "u_arousal": self.arousal,
            "u_emotions": emotions,
            "u_faces": self.face_count,
            "u_face_slots": len(faces),
            "u_face": face_vecs,
            "u_face_size": sizes,
            "u_chaos": self.chaos,
            "u_spread": self.spread,
            "u_motion": self.motion,
            "u_presence": self.presence,
            "u_act": self.act,
            "u_cue_progress": self.cue_progress,
            "u_transition": transition,
        }
        out: dict[str, Any] = {}
        for name, value in raw.items():
            u = UNIFORMS_BY_NAME[name]
            if isinstance(value, list):
                out[name] = [u.clamp(float(v)) for v in value]
            elif u.glsl_type == "int":
                out[name] = int(u.clamp(float(value)))
            else:
                out[name] = u.clamp(float(value))
        return out
