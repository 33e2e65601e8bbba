"""The autopilot: a cue-less show that moves through the visuals by itself.

Used until a cue list drives the show (and as the kiosk default): each visual plays for its
time and crossfades into the next; when the room gets crowded and chaotic, crowd-chaos mode
takes over and hands back when the room calms. Deterministic: it depends only on `now` and
the emotion state it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from performance.core.types import RoomEmotion
from performance.show.commands import Command
from performance.show.frame import CHAOS_VISUAL, Layer, ShowFrame, ShowStatus
from performance.show.mixing import Crossfade
from performance.show.seqoptions import NO_CUE_LIST, Outcome

DEFAULT_PROGRAMME: tuple[tuple[str, float], ...] = (
    ("essence_module", 24.0),
    ("enclave", 24.0),
    (CHAOS_VISUAL, 16.0),
)


class Autopilot:
    """A looping programme of visuals with crossfades and an automatic crowd-chaos mode."""

    def __init__(
        self,
        programme: Sequence[tuple[str, float]] = DEFAULT_PROGRAMME,
        *,
        crossfade: float = 3.0,
        chaos_on: float = 0.65,
        chaos_off: float = 0.35,
        chaos_faces: float = 3.0,
    ) -> None:
        if not programme:
            raise ValueError("the autopilot needs at least one visual")
        self.programme = tuple(programme)
        self.crossfade = crossfade
        self.chaos_on, self.chaos_off, self.chaos_faces = chaos_on, chaos_off, chaos_faces
        self.chaos_mode = False
        self._layer: Layer | None = None
        self._fade: Crossfade | None = None
        self._start: float | None = None

    def apply(self, command: Command, now: float) -> Outcome:
        """The autopilot takes no commands; a cue list is needed for that."""
        return Outcome(False, NO_CUE_LIST)

    def _scheduled(self, now: float) -> tuple[int, Layer]:
        assert self._start is not None
        cycle = sum(seconds for _, seconds in self.programme)
        t = (now - self._start) % cycle
        for index, (visual, seconds) in enumerate(self.programme):
            if t < seconds:
                return index, Layer(visual)
            t -= seconds
        return len(self.programme) - 1, Layer(self.programme[-1][0])

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """What is on stage at `now`."""
        if self._start is None:
            self._start = now
        crowd = emotion.crowd
        if not self.chaos_mode and crowd.chaos >= self.chaos_on \
                and crowd.face_count >= self.chaos_faces:
            self.chaos_mode = True
        elif self.chaos_mode and crowd.chaos <= self.chaos_off:
            self.chaos_mode = False
        index, layer = self._scheduled(now)
        if self.chaos_mode:
            layer = Layer(CHAOS_VISUAL)
        if self._layer is None:
            self._layer = layer
        elif layer != self._layer:
            self._fade = Crossfade(self._layer, now, self.crossfade, "linear")
            self._layer = layer
        mix, previous = 1.0, None
        if self._fade is not None:
            mix, previous = self._fade.mix(now), self._fade.previous
            if mix >= 1.0:
                self._fade, previous = None, None
        return ShowFrame(
            time=now,
            current=self._layer,
            previous=previous,
            mix=mix,
            act=index + 1,
            act_name=self._layer.visual.replace("_", " "),
            cue_progress=mix,
            status=ShowStatus.RUNNING,
            chaos_mode=self.chaos_mode,
        )
