"""The cue model: a show file is a list of acts and an ordered list of cues.

Plain frozen values, built and validated by `cuefile.load`; the sequencer only reads them.
Visuals and their declared inputs come from a *catalog* (visual name -> declared inputs),
which the runtime builds from the shader headers (`performance.runtime.assemble.shader_catalog`);
the show layer never imports the renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from pathlib import Path

from performance.core.inputs import InputValue, ShaderInput
from performance.core.types import CROWD_NUMBERS, EMOTIONS, CrowdReading
from performance.show.frame import SoundSetting


class NextAction(StrEnum):
    """What happens after a cue fires (the values are the show file's words)."""

    NONE = "none"  # nothing: the show waits for GO
    AUTO_CONTINUE = "auto_continue"  # GO on the next cue after this one's post-wait
    AUTO_FOLLOW = "auto_follow"  # GO on the next cue when this one's transition ends


NEXT_ACTIONS: tuple[str, ...] = tuple(action.value for action in NextAction)
"""The show file's words for a next action, in `NextAction` order."""

CROWD_METRICS: tuple[str, ...] = CROWD_NUMBERS
"""The room's aggregates a show may read: the number fields of CrowdReading, in its order."""
METRICS: tuple[str, ...] = CROWD_METRICS + EMOTIONS
"""Room values a mapping or condition may read: crowd aggregates and emotion shares."""
_FIELD_RANGES = {f.name: f.metadata["range"] for f in dataclass_fields(CrowdReading)}
METRIC_RANGES: dict[str, tuple[float, float]] = {
    metric: _FIELD_RANGES[metric if metric in CROWD_METRICS else "emotions"]
    for metric in METRICS}
"""The range each metric stays in (CrowdReading's own field ranges; a share is 0..1)."""


Catalog = Mapping[str, tuple[ShaderInput, ...]]
"""Visual name -> its declared inputs (read from the shader headers by the runtime)."""


def metric_value(crowd: CrowdReading, metric: str) -> float:
    """The value of one room metric (a CrowdReading field or an emotion's share)."""
    if metric in CROWD_METRICS:
        return float(getattr(crowd, metric))
    return float(crowd.emotions[EMOTIONS.index(metric)])


@dataclass(frozen=True)
class InputMapping:
    """Drive a shader input from the room: value = offset + scale * metric (clamped)."""

    input: str
    source: str
    scale: float = 1.0
    offset: float = 0.0

    def value(self, crowd: CrowdReading) -> float:
        return self.offset + self.scale * metric_value(crowd, self.source)


@dataclass(frozen=True)
class Condition:
    """An audience condition: the metric above/below a threshold for `for_s` seconds,
    with at least `min_faces` faces in view."""

    metric: str
    above: float | None = None
    below: float | None = None
    for_s: float = 0.0
    min_faces: float = 0.0

    def met(self, crowd: CrowdReading) -> bool:
        """True when the room satisfies the condition at this instant."""
        if crowd.face_count < self.min_faces:
            return False
        v = metric_value(crowd, self.metric)
        if self.above is not None and not v > self.above:
            return False
        return not (self.below is not None and not v < self.below)

    def describe(self) -> str:
        """Short text for the operator, e.g. 'chaos > 0.7 for 2s, >= 2 faces'."""
        parts = []
        if self.above is not None:
            parts.append(f"{self.metric} > {self.above:g}")
        if self.below is not None:
            parts.append(f"{self.metric} < {self.below:g}")
        text = " and ".join(parts)
        if self.for_s:
            text += f" for {self.for_s:g}s"
        if self.min_faces:
            text += f", >= {self.min_faces:g} faces"
        return text


@dataclass(frozen=True)
class Transition:
    """How a cue's visual replaces what is showing: duration in seconds, named easing."""

    duration: float = 2.0
    easing: str = "ease_in_out"


@dataclass(frozen=True)
class OscMessage:
    """An OSC message a cue sends when it fires (to `target` "host:port" or the default)."""

    address: str
    args: tuple[int | float | str, ...] = ()
    target: str | None = None


@dataclass(frozen=True)
class OutgoingOsc:
    """A message ready to send: resolved host and port (what `take_outbox()` hands out)."""

    host: str
    port: int
    address: str
    args: tuple[int | float | str, ...]
    cue_id: str


@dataclass(frozen=True)
class Act:
    """One act of the story: number, name, emotion->input mappings, sound setting."""

    number: int
    name: str
    mappings: tuple[InputMapping, ...] = ()
    sound: SoundSetting | None = None
    line: int = 0


@dataclass(frozen=True)
class Cue:
    """One cue. `inputs` holds every declared input of `visual` (defaults filled in)."""

    id: str
    name: str
    act: int
    visual: str
    inputs: Mapping[str, InputValue] = field(default_factory=dict)
    transition: Transition = field(default_factory=Transition)
    pre_wait: float = 0.0
    post_wait: float = 0.0
    next: NextAction = NextAction.NONE
    osc: tuple[OscMessage, ...] = ()
    sound: SoundSetting | None = None
    when: Condition | None = None
    line: int = 0

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}".strip()


@dataclass(frozen=True)
class CueList:
    """A loaded show: acts, cues in file order, the visual catalog, the default OSC target."""

    path: Path
    acts: tuple[Act, ...]
    cues: tuple[Cue, ...]
    catalog: Catalog
    title: str = ""
    osc_target: str | None = None
    palettes: tuple[str, ...] | None = None  # the sound palettes it was checked against

    def index_of(self, cue_id: str) -> int | None:
        """Position of the cue with this id, or None."""
        for i, cue in enumerate(self.cues):
            if cue.id == cue_id:
                return i
        return None

    def outgoing(self, cue: Cue) -> list[OutgoingOsc]:
        """The cue's OSC messages with their targets resolved (the show's default target for
        a message that names none; a message with no target at all is not sent)."""
        out = []
        for msg in cue.osc:
            target = msg.target or self.osc_target
            if target is not None:
                host, port = parse_target(target)
                out.append(OutgoingOsc(host, port, msg.address, msg.args, cue.id))
        return out

    def act(self, number: int) -> Act | None:
        """The act with this number, or None."""
        for act in self.acts:
            if act.number == number:
                return act
        return None

    def inputs_of(self, visual: str) -> dict[str, ShaderInput]:
        """Declared inputs of a visual by name (empty for unknown visuals)."""
        return {spec.name: spec for spec in self.catalog.get(visual, ())}

    def defaults(self, visual: str) -> dict[str, InputValue]:
        """Every declared input of `visual` at its default value."""
        return {spec.name: spec.default for spec in self.catalog.get(visual, ())}


def parse_target(text: str) -> tuple[str, int]:
    """Split "host:port" (ValueError with the reason when it is not one)."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"OSC target must be 'host:port' with a port 1-65535, got {text!r}")
    return host, int(port)
