"""Feedback to controllers: `RigStatus` (what the runtime publishes) -> OSC status messages.

The runtime builds a `RigStatus` each frame from the sequencer's status, the crowd and the frame
stats and puts it in the hub's `LatestSlot`. Subscribers (`/updates 1`) get only what changed:
strings when different, numbers when they moved by more than a small epsilon, at most
`max_rate` times a second each. Addresses are listed in `STATUS_ADDRESSES` (docs/osc.md);
the switches a control surface shows (show mode, chaos mode, blackout) and each declared
input's value are also echoed on the address that sets them (`/essence/chaos`,
`/essence/param/{name}`, ...), so a TouchOSC toggle or fader follows the show.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace

from performance.control.outline import CueRow, InputRow
from performance.control.qlab import PLAYBACK_POSITION, cue_updates
from performance.control.wire import ArgValue
from performance.core.inputs import InputValue
from performance.core.status import SoundState
from performance.core.types import CrowdReading
from performance.show.status import SequencerPhase, SequencerStatus

PREFIX = "/essence/status/"
PARAM_PREFIX = "/essence/param/"
# status field -> the address that sets it, where the value is echoed too
ECHOES: dict[str, str] = {"show_mode": "/essence/showmode", "chaos_mode": "/essence/chaos",
                          "blackout": "/essence/blackout", "recording": "/essence/record"}


@dataclass(frozen=True)
class RigStatus:
    """What the rig shows an operator: the show's position, the room and the machine."""

    act: int = 0
    act_name: str = ""
    cue_id: str | None = None
    cue_name: str = ""
    next_cue_id: str | None = None
    countdown: float | None = None  # seconds left of a wait or an armed condition
    state: str = SequencerPhase.STANDBY.value  # the sequencer's phase, as its wire text
    faces: int = 0
    chaos: float = 0.0  # the crowd's chaos 0..1
    fps: float = 0.0
    health: str = "ok"  # "ok" or a short description of what is wrong
    latency_ms: float = -1.0  # capture -> emotion p95 over the recent frames; -1: not known
    presented_ms: float = -1.0  # capture -> presented p95; -1: not known
    perception_fps: float = 0.0  # frames perception finished per second
    show_mode: bool = False  # editing addresses locked (the control side's flag)
    chaos_mode: bool = False  # crowd-chaos mode on
    blackout: bool = False  # a blackout holds picture and sound down
    recording: bool = False  # the rehearsal is being recorded (recording/, /essence/record)
    inputs: tuple[tuple[str, InputValue], ...] = ()  # the showing visual's declared inputs
    cues: tuple[tuple[str, str], ...] = ()  # the show's cues (id, name) in order (qlab.py)
    report: str = ""  # the kiosk's health report (JSON text), for `/essence/health`
    # what a cue console shows beside the above (console/, OSCQuery)
    title: str = ""  # the show's title (its file's name when it has none)
    next_cue_name: str = ""  # the standby cue's name
    pre_wait_left: float | None = None  # seconds left of each wait; None when it does not run
    transition_left: float | None = None
    post_wait_left: float | None = None
    follow_left: float | None = None
    condition: str = ""  # the armed cue's audience condition, e.g. "chaos > 0.7 for 2s"
    condition_left: float | None = None  # seconds the room must still meet it
    condition_held: bool = False  # the operator holds it
    condition_metric: str = ""  # the metric it reads
    condition_above: bool = True  # the room must rise above the threshold (else fall below)
    condition_value: float | None = None  # the condition's metric in the room now
    condition_threshold: float | None = None  # the value it must pass (above or below)
    paused: bool = False
    last_refusal: str = ""  # why the show refused its latest command
    room: CrowdReading = field(default_factory=CrowdReading)  # the room's aggregates
    outline: tuple[CueRow, ...] = ()  # the show's cues with their waits (control/outline.py)
    input_rows: tuple[InputRow, ...] = ()  # the showing visual's declared inputs
    sound: str = SoundState.OFF.value  # the sound's state (core.status.SoundState), as text
    input_health: str = "ok"  # the input's state (a camera, a clip), as InputStatus says


def rig_status_from(
    seq: SequencerStatus, *, faces: int | None = None, chaos: float | None = None,
    fps: float = 0.0, health: str = "ok", latency_ms: float | None = None,
    presented_ms: float | None = None, perception_fps: float = 0.0,
    show_mode: bool | None = None, cues: tuple[tuple[str, str], ...] = (), report: str = "",
    recording: bool = False, room: CrowdReading | None = None,
    outline: tuple[CueRow, ...] = (), input_rows: tuple[InputRow, ...] = (),
    title: str = "", sound: str = SoundState.OFF.value, input_health: str = "ok",
) -> RigStatus:
    """A `RigStatus` from the sequencer's status plus the room, the frame stats and what a
    console lists (`state` is the phase's value; the countdown is the status's: the first
    running one of pre-wait, post-wait, follow and condition; faces and chaos are the
    room's unless given)."""
    countdown = seq.countdown
    room = room if room is not None else CrowdReading()
    return RigStatus(
        act=int(seq.act),
        act_name=seq.act_name,
        cue_id=seq.cue_id,
        cue_name=seq.cue_name,
        next_cue_id=seq.next_cue_id,
        countdown=None if countdown is None else float(countdown),
        state=str(seq.phase),
        faces=round(room.face_count) if faces is None else int(faces),
        chaos=float(room.chaos if chaos is None else chaos),
        fps=float(fps),
        health=health,
        latency_ms=-1.0 if latency_ms is None else float(latency_ms),
        presented_ms=-1.0 if presented_ms is None else float(presented_ms),
        perception_fps=float(perception_fps),
        show_mode=seq.locked if show_mode is None else show_mode,
        chaos_mode=seq.chaos_mode, blackout=seq.blackout, inputs=seq.inputs, cues=cues,
        report=report, recording=recording, title=title, next_cue_name=seq.next_cue_name,
        pre_wait_left=seq.pre_wait_left, transition_left=seq.transition_left,
        post_wait_left=seq.post_wait_left, follow_left=seq.follow_left,
        condition=seq.condition, condition_left=seq.condition_left,
        condition_held=seq.condition_held, condition_metric=seq.condition_metric,
        condition_above=seq.condition_above, condition_value=seq.condition_value,
        condition_threshold=seq.condition_threshold, paused=seq.paused,
        last_refusal=seq.last_refusal, room=room, outline=outline, input_rows=input_rows,
        sound=sound, input_health=input_health,
    )


# field -> (status address suffix, epsilon for numbers; None for exact comparison)
STATUS_FIELDS: dict[str, tuple[str, float | None]] = {
    "act": ("act", None),
    "act_name": ("act_name", None),
    "cue_id": ("cue", None),
    "cue_name": ("cue_name", None),
    "next_cue_id": ("next", None),
    "countdown": ("countdown", 0.1),
    "state": ("state", None),
    "faces": ("faces", None),
    "chaos": ("chaos", 0.01),
    "fps": ("fps", 0.5),
    "health": ("health", None),
    "latency_ms": ("latency_ms", 5.0),
    "presented_ms": ("presented_ms", 5.0),
    "perception_fps": ("perception_fps", 0.5),
    "show_mode": ("show_mode", None),
    "chaos_mode": ("chaos_mode", None),
    "blackout": ("blackout", None),
    "recording": ("recording", None),
}
STATUS_ADDRESSES: tuple[str, ...] = tuple(PREFIX + a for a, _ in STATUS_FIELDS.values())


def status_json(status: RigStatus | None) -> dict[str, object]:
    """The status as a JSON-ready dict (for `/essence/state` replies); {} before the first."""
    if status is None:
        return {}
    data = asdict(replace(status, outline=(), input_rows=()))
    del data["outline"], data["input_rows"]  # the console's (and /cueLists'): long lists
    for key, value in data.items():
        if isinstance(value, float) and not math.isfinite(value):
            data[key] = None
    data["inputs"] = {name: list(value) if isinstance(value, tuple) else value
                      for name, value in status.inputs}
    return data


def health_json(status: RigStatus | None) -> dict[str, object]:
    """The `/essence/health` reply: the kiosk's report when there is one, else the health
    line with the frame rate and faces from the status; {} before the first status."""
    if status is None:
        return {}
    if status.report:
        try:
            report = json.loads(status.report)
        except ValueError:
            report = None
        if isinstance(report, dict):
            return report
    return {"health": status.health, "fps": round(status.fps, 1), "faces": status.faces,
            "act": status.act, "cue_id": status.cue_id}


def _wire_value(name: str, value: object) -> ArgValue:
    if value is None:
        return -1.0 if name == "countdown" else ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else -1.0
    return str(value)


def _changed(old: object, new: object, epsilon: float | None) -> bool:
    if epsilon is None or not isinstance(old, int | float) or not isinstance(new, int | float):
        return old != new
    return abs(float(new) - float(old)) > epsilon or (new == 0) != (old == 0)


def status_messages(
    old: RigStatus | None, new: RigStatus
) -> list[tuple[str, tuple[ArgValue, ...]]]:
    """(address, args) for every field of `new` that differs from `old` (all when None)."""
    out: list[tuple[str, tuple[ArgValue, ...]]] = []
    for name, (suffix, epsilon) in STATUS_FIELDS.items():
        value = getattr(new, name)
        if old is not None and not _changed(getattr(old, name), value, epsilon):
            continue
        out.append((PREFIX + suffix, (_wire_value(name, value),)))
        if name == "next_cue_id" and old is not None:  # Companion's QLab module's "next
            # cue"; as QLab, on a change only: a client asks `/playheadID` when it subscribes
            # and cannot place a push for a cue list it has not yet been told of (`/cueLists`)
            out.append((PLAYBACK_POSITION, (_wire_value(name, value),)))
        if name in ECHOES:
            out.append((ECHOES[name], (_wire_value(name, value),)))
    before = dict(old.inputs) if old is not None else {}
    for name, value in new.inputs:
        if name not in before or before[name] != value:
            args = value if isinstance(value, tuple) else (value,)
            out.append((PARAM_PREFIX + name, tuple(float(v) for v in args)))
            out.append((PREFIX + "param/" + name, tuple(float(v) for v in args)))
    out.extend(cue_updates(old, new))  # QLab's cue_id pushes (a cue started or stopped)
    return out


class SubscriberFeedback:
    """One subscriber's view: what it was last sent and when."""

    def __init__(self, max_rate: float = 10.0) -> None:
        self.interval = 1.0 / max_rate
        self.sent: RigStatus | None = None
        self.last_time = -math.inf

    def due(self, status: RigStatus | None, now: float) -> list[tuple[str, tuple[ArgValue, ...]]]:
        """The messages to send now (empty when nothing changed or it is too soon)."""
        if status is None or now - self.last_time < self.interval or status == self.sent:
            return []
        messages = status_messages(self.sent, status)
        if not messages:
            return []
        self.last_time = now
        self.sent = _merge(self.sent, status)
        return messages


def _merge(old: RigStatus | None, new: RigStatus) -> RigStatus:
    """What the subscriber now shows: new values, except numbers that moved less than epsilon."""
    if old is None:
        return new
    kept = {
        name: getattr(old, name)
        for name, (_, epsilon) in STATUS_FIELDS.items()
        if not _changed(getattr(old, name), getattr(new, name), epsilon)
    }
    return RigStatus(**{**asdict(new), **kept})
