"""`FrameUniforms`: the per-frame values the renderer turns into shared uniforms."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from performance.core.inputs import InputValue
from performance.core.types import EMOTIONS, CrowdReading, FaceEmotion
from performance.render.uniforms import MAX_FACES, UNIFORMS_BY_NAME

FaceSlot = tuple[float, float, float, float, float]  # x, y (0..1, y up), valence, arousal, size
UniformValue = float | int | list[float]
"""A value for one shared uniform: a number (int for int uniforms) or a flat list for a
vector or array."""


@dataclass(frozen=True)
class FrameUniforms:
    """Everything a frame needs besides the visual name: time, the room, show position.

    `crowd` is the room's aggregates as the emotion layer published them (clamped to the
    uniform ranges only in `uniform_values`). `faces` holds at most MAX_FACES slots (x, y,
    valence, arousal, size), x/y in 0..1 of the picture with y up. `inputs` is the default
    for shader inputs when render() gets none.
    """

    time: float = 0.0
    delta: float = 0.0
    frame: int = 0
    resolution: tuple[int, int] = (1, 1)
    crowd: CrowdReading = field(default_factory=CrowdReading)
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
        """The uniform values for one frame from the emotion layer's output.

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
            time=time, delta=delta, frame=frame, resolution=resolution, crowd=crowd, act=act,
            cue_progress=cue_progress, faces=tuple(slots), inputs=dict(inputs or {}),
        )

    def uniform_values(
        self, *, transition: float = 1.0, names: Collection[str] | None = None
    ) -> dict[str, UniformValue]:
        """Values for every uniform of the table (only `names` if given), clamped to its
        range (flat lists for arrays)."""
        crowd = self.crowd
        faces = list(self.faces[:MAX_FACES])
        face_vecs = [c for f in faces for c in (f[0], f[1], f[2], f[3])]
        face_vecs += [0.0] * (4 * MAX_FACES - len(face_vecs))
        sizes = [f[4] for f in faces] + [0.0] * (MAX_FACES - len(faces))
        emotions = (list(crowd.emotions) + [0.0] * len(EMOTIONS))[: len(EMOTIONS)]
        raw: dict[str, float | list[float]] = {
            "u_time": self.time,
            "u_delta": self.delta,
            "u_frame": self.frame,
            "u_resolution": [float(v) for v in self.resolution],
            "u_valence": crowd.valence,
            "u_arousal": crowd.arousal,
            "u_emotions": emotions,
            "u_faces": crowd.face_count,
            "u_face_slots": len(faces),
            "u_face": face_vecs,
            "u_face_size": sizes,
            "u_chaos": crowd.chaos,
            "u_spread": crowd.spread,
            "u_motion": crowd.motion,
            "u_presence": crowd.presence,
            "u_act": self.act,
            "u_cue_progress": self.cue_progress,
            "u_transition": transition,
        }
        out: dict[str, UniformValue] = {}
        for name, value in raw.items():
            if names is not None and name not in names:
                continue  # a program without it: nothing to clamp
            u = UNIFORMS_BY_NAME[name]
            if isinstance(value, list):
                out[name] = [u.clamp(float(v)) for v in value]
            elif u.glsl_type == "int":
                out[name] = int(u.clamp(float(value)))
            else:
                out[name] = u.clamp(float(value))
        return out
