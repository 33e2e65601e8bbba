"""The cue sequencer: a pure, single-threaded state machine driven by the `now` it is given
(its `GoGate` alone is thread-safe: the OSC hub asks it when a GO arrives).

GO starts the cue on the playhead: pre-wait -> fire (crossfade to its visual with its
easing, send its OSC, set its sound) -> post-wait / transition end -> next action. Cues with
an audience condition are armed when the playhead reaches them and fire when the room meets
it (or on GO). This module owns the playhead, firing and the commands; its parts own the
rest: `waits` (show time, which Pause freezes, and the pre-wait/post-wait/follow on it,
each handled at its exact due time so chains behave the same at any frame rate),
`condition` (the armed cue's audience condition and its hold), `master` (panic and blackout, on real
time so a panic works while paused), `picture` (what the current cue looks like, the
crossfade), `gogate` (the minimum GO interval) and `reposition` (the position carried into
an edited cue list).
"""

from __future__ import annotations

import logging
from collections import deque

from performance.core.inputs import InputValue
from performance.core.types import RoomEmotion
from performance.show.commands import (
    Back,
    Blackout,
    Command,
    Go,
    GotoCue,
    HardStop,
    HoldCondition,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetInput,
    SetPlayhead,
    SetRecording,
    ShowModeChanged,
    Stop,
)
from performance.show.condition import AudienceWatch
from performance.show.cuefile.load import CueListError, load_cue_file
from performance.show.cuefile.model import Catalog, Cue, CueList, NextAction, OutgoingOsc
from performance.show.frame import Layer, ShowFrame, SoundSetting
from performance.show.gogate import GoGate
from performance.show.master import Master, MasterMode
from performance.show.picture import Picture
from performance.show.refusals import Refusals
from performance.show.reposition import Position, carry_over
from performance.show.seqoptions import (
    EDITING_COMMANDS,
    END_OF_LIST,
    NO_EARLIER_CUE,
    NO_RECORDING,
    SHOW_MODE,
    START_OF_LIST,
    TOO_SOON,
    Outcome,
    SequencerOptions,
    no_cue,
    not_running,
)
from performance.show.status import SequencerPhase, SequencerStatus
from performance.show.waits import PreWait, ShowClock, Waits

log = logging.getLogger(__name__)

MAX_RECEIPTS = 4096  # outcomes kept for `take_receipts` (a run takes them every frame)


class Sequencer:
    """Runs a CueList; implements the Show protocol (`apply`, `tick`) plus `status()`.

    `go_gate` is the minimum GO interval rule; OSC control is handed it (see gogate.py).
    """

    def __init__(self, cues: CueList, options: SequencerOptions | None = None, *,
                 locked: bool = False) -> None:
        self.cues = cues
        self.options = options or SequencerOptions()
        self.locked = locked
        self.go_gate = GoGate(self.options.min_go_interval)
        self.ignored_gos = 0
        self.refusals = Refusals()  # counted, the latest reason, logged without a flood
        self._clock = ShowClock()
        self._waits = Waits()
        self._audience = AudienceWatch()
        self._master = Master(self.options)
        self._picture = Picture(self.options.chaos_visual)
        self._playhead = 0
        self._current: int | None = None
        self._sound = SoundSetting()
        self._outbox: list[OutgoingOsc] = []
        self._receipts: deque[tuple[Command, Outcome]] = deque(maxlen=MAX_RECEIPTS)
        self.recording_tap = False  # a recording tap stands in front (takes SetRecording)

    # -- the Show protocol ---------------------------------------------------------------
    def apply(self, command: Command, now: float) -> Outcome:
        """Take one command (see `handle`); its outcome is also kept for `take_receipts`."""
        outcome = self.handle(command, now)
        self._receipts.append((command, outcome))
        return outcome

    def handle(self, command: Command, now: float) -> Outcome:
        """Apply one command at real time `now`; refusals are counted and logged with the
        command's name, and their reason is short (`no cue 99`, `end of list`, ...)."""
        self._advance(now)
        if self.locked and isinstance(command, EDITING_COMMANDS):
            return self._refuse(command, SHOW_MODE, now)
        if isinstance(command, Go | Back) and not self._through_gate(command, now):
            self.ignored_gos += 1
            return self._refuse(command, TOO_SOON, now)
        outcome = self._dispatch(command, now)
        if not outcome.accepted:
            return self._refuse(command, outcome.reason, now)
        return outcome

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """Advance to `now` with the room's emotion and return what should be on stage."""
        self._audience.crowd = emotion.crowd
        self._advance(now)
        self._check_condition()
        t = self._clock.t
        current, previous, mix, progress = self._picture.compose(self.cues, self._target(), t)
        self._picture.settle(t)
        status = self.status()
        return ShowFrame(
            time=now, current=current, previous=previous, mix=mix,
            master=self._master.at(now), act=status.act, act_name=status.act_name,
            cue_id=status.cue_id, cue_name=status.cue_name, next_cue_id=status.next_cue_id,
            cue_progress=progress, countdown=status.countdown, locked=self.locked,
            status=status.phase.show_status, chaos_mode=self._picture.chaos, sound=self._sound,
        )

    # -- extras for control, runtime and audio --------------------------------------------
    def take_receipts(self) -> list[tuple[Command, Outcome]]:
        """(command, outcome) of every command `apply` took since the last call, oldest
        first (the very command objects, so control can match them to its replies)."""
        out = list(self._receipts)
        self._receipts.clear()
        return out

    def take_outbox(self) -> list[OutgoingOsc]:
        """OSC messages of fired cues not yet handed out (oldest first); empties the box."""
        out, self._outbox = self._outbox, []
        return out

    def status(self) -> SequencerStatus:
        """A read-only snapshot for the operator view and OSC feedback."""
        cue, nxt = self._cue(self._current), self._cue(self._next_index())
        act = self.cues.act(cue.act) if cue else None
        armed = self._armed()
        pre, post, follow, cond_left = self._countdowns()
        room = self._audience.reading(armed.when if armed else None)
        return SequencerStatus(
            phase=self._phase(), act=act.number if act else 0, act_name=act.name if act else "",
            cue_id=cue.id if cue else None, cue_name=cue.name if cue else "",
            next_cue_id=nxt.id if nxt else None, next_cue_name=nxt.name if nxt else "",
            pre_wait_left=pre, post_wait_left=post, follow_left=follow,
            transition_left=self._picture.left(self._clock.t),
            condition_metric=room.metric, condition_above=room.above,
            condition_value=room.value, condition_threshold=room.threshold,
            condition=armed.when.describe() if armed and armed.when else "",
            condition_left=cond_left, condition_held=self._audience.held and armed is not None,
            paused=self._clock.paused, locked=self.locked, chaos_mode=self._picture.chaos,
            master=self._master.at(self._clock.real or 0.0), ignored_gos=self.ignored_gos,
            last_refusal=self.refusals.last,
            blackout=self._master.blackout_on, inputs=self._input_values(),
        )

    def _input_values(self) -> tuple[tuple[str, InputValue], ...]:
        """The value each declared input of the visual the picture heads for has now (the
        cue's, a room mapping's or an operator's SetInput; its default otherwise)."""
        layer = self._target()
        specs = self.cues.inputs_of(layer.visual)
        return tuple((name, layer.inputs.get(name, spec.default)) for name, spec in specs.items())

    def rewind(self) -> None:
        """Put the playhead back on the first cue, cancelling waits and follows; nothing
        fires and the picture stays (for a show that loops: GO then starts it again). Not a
        command, so the show-mode lock does not refuse it."""
        self._playhead = 0
        self._waits.clear()
        self._audience.hold(False)

    def reload(self, new: CueList) -> None:
        """Switch to an edited cue list, keeping the position by cue id (reposition.py); a
        current cue the edit removed stays on stage until the next cue fires."""
        moved = carry_over(self.cues, new, Position(self._current, self._playhead,
                                                    self._waits.pre_wait))
        if self._current is not None and moved.current is None:
            self._picture.orphan = self._target()
        self.cues = new
        self._current, self._playhead = moved.current, moved.playhead
        self._waits.pre_wait = moved.pre_wait
        if self._current is None:
            self._waits.next_at = None

    def reload_file(self, catalog: Catalog | None = None) -> Outcome:
        """Reload the show file; a broken edit keeps the running version and says why."""
        try:
            new = load_cue_file(self.cues.path, catalog or self.cues.catalog,
                                self.cues.palettes)
        except CueListError as exc:
            log.warning("show file not reloaded, keeping the running version:\n%s", exc)
            return Outcome(False, str(exc))
        self.reload(new)
        return Outcome(True)

    # -- commands -------------------------------------------------------------------------
    def _dispatch(self, command: Command, now: float) -> Outcome:
        if isinstance(command, Go):
            return self._go(now)
        if isinstance(command, Back):
            if self._current is None or self._current == 0:
                return Outcome(False, NO_EARLIER_CUE)
            return self._manual_fire(self._current - 1, now)
        if isinstance(command, GotoCue):
            index = self.cues.index_of(str(command.cue_id))
            if index is None:
                return Outcome(False, no_cue(command.cue_id))
            return self._manual_fire(index, now, follow=command.follow)
        if isinstance(command, SetPlayhead):
            return self._set_playhead(command.target)
        if isinstance(command, Stop | Panic | HardStop):
            aimed = None if isinstance(command, HardStop) else command.cue
            if aimed is not None and aimed != self.status().cue_id:
                return Outcome(False, not_running(aimed))
            if isinstance(command, Panic | HardStop):  # fade out; a HardStop cuts
                self._master.panic(now, cut=isinstance(command, HardStop))
            self._waits.clear()  # every wait stops and the armed condition is held
            self._audience.hold(True)
            return Outcome(True)
        if isinstance(command, Pause | Resume):
            self._clock.paused = isinstance(command, Pause)
            return Outcome(True)
        if isinstance(command, Blackout):
            self._master.blackout(now, command.on)
            return Outcome(True)
        if isinstance(command, SetInput):
            visual = self._target().visual
            return self._picture.set_input(self.cues, visual, command.name, command.value)
        if isinstance(command, SetChaosMode):
            if command.on != self._picture.chaos:
                self._start_fade(self.options.chaos_fade, "ease_in_out", self._clock.t)
                self._picture.chaos = command.on
            return Outcome(True)
        if isinstance(command, HoldCondition):
            self._audience.hold(command.hold)
            return Outcome(True)
        if isinstance(command, ShowModeChanged):  # OSC's, at its place among the commands
            self.locked = command.on
            return Outcome(True)
        if isinstance(command, SetRecording):  # the recording tap in front took it
            # (recording/tap.py); without one (the kiosk) nothing records
            return Outcome(True) if self.recording_tap else Outcome(False, NO_RECORDING)
        return Outcome(False, f"unknown command {command!r}")

    def _through_gate(self, command: Go | Back, now: float) -> bool:
        """The minimum GO interval: a GO the hub admitted redeems its press id; any other GO
        or Back is pressed through the gate now."""
        if isinstance(command, Go) and command.press is not None \
                and self.go_gate.redeem(command.press):
            return True
        return self.go_gate.press(now)

    def _go(self, now: float) -> Outcome:
        self._master.restore_after_panic(now)
        pre = self._waits.pre_wait
        if pre is not None:  # GO during a pre-wait fires that cue now
            self._fire(pre.index, self._clock.t)
            return Outcome(True)
        if self._playhead >= len(self.cues.cues):
            return Outcome(False, END_OF_LIST)
        self._start(self._playhead, self._clock.t, automatic=False)
        return Outcome(True)

    def _manual_fire(self, index: int, now: float, *, follow: bool = False) -> Outcome:
        """Back/GotoCue: fire at once, skip the pre-wait; its next action only if `follow`."""
        self._master.restore_after_panic(now)
        self._fire(index, self._clock.t, follow=follow)
        return Outcome(True)

    def _set_playhead(self, target: str) -> Outcome:
        if target in ("next", "previous"):
            step = 1 if target == "next" else -1
            index = self._playhead + step
            if index > len(self.cues.cues):
                return Outcome(False, END_OF_LIST)
            if index < 0:
                return Outcome(False, START_OF_LIST)
        else:
            found = self.cues.index_of(target)
            if found is None:
                return Outcome(False, no_cue(target))
            index = found
        self._playhead = index
        self._waits.clear()
        self._audience.hold(False)
        return Outcome(True)

    def _refuse(self, command: Command, reason: str, now: float) -> Outcome:
        self.refusals.note(type(command).__name__, reason, now)
        return Outcome(False, reason)

    # -- time and cues --------------------------------------------------------------------
    def _advance(self, now: float) -> None:
        """Move both clocks to `now`, handling every due wait at its exact time."""
        end = self._clock.step(now)
        waits = self._waits
        for _ in range(2 * len(self.cues.cues) + 8):
            due = waits.next_due()
            if due is None or due > end:
                break
            self._clock.t = max(self._clock.t, due)
            if waits.pre_wait is not None and waits.pre_wait.fire_at <= self._clock.t:
                self._fire(waits.pre_wait.index, waits.pre_wait.fire_at)
            elif waits.next_at is not None:
                at, waits.next_at = waits.next_at, None
                if self._current is not None and self._current + 1 < len(self.cues.cues):
                    self._start(self._current + 1, at, automatic=True)
        self._clock.t = end

    def _start(self, index: int, at: float, *, automatic: bool) -> None:
        """GO on cue `index`: an automatic GO stops at a cue with a condition (it arms)."""
        cue = self.cues.cues[index]
        self._waits.next_at = None
        self._playhead = index
        self._audience.hold(False)
        if automatic and cue.when is not None:
            return
        if cue.pre_wait > 0:
            self._waits.pre_wait = PreWait(index, at + cue.pre_wait)
        else:
            self._fire(index, at)

    def _fire(self, index: int, at: float, *, follow: bool = True) -> None:
        cue = self.cues.cues[index]
        self._start_fade(cue.transition.duration, cue.transition.easing, at)
        self._current, self._picture.orphan, self._waits.pre_wait = index, None, None
        self._playhead = index + 1
        self._picture.overrides = {}
        self._audience.hold(False)
        act = self.cues.act(cue.act)
        self._sound = cue.sound or (act.sound if act else None) or self._sound
        self._outbox.extend(self.cues.outgoing(cue))
        self._waits.next_at = None
        if follow and cue.next == NextAction.AUTO_FOLLOW:
            self._waits.next_at = at + cue.transition.duration
        elif follow and cue.next == NextAction.AUTO_CONTINUE:
            self._waits.next_at = at + cue.post_wait
        log.info("cue %s fired", cue.label)

    def _armed(self) -> Cue | None:
        """The cue on the playhead when it waits for its audience condition."""
        cue = self._cue(self._playhead)
        if cue is None or cue.when is None or self._waits.pre_wait is not None \
                or self._waits.next_at is not None or self._master.mode is MasterMode.PANIC:
            return None
        return cue

    def _check_condition(self) -> None:
        cue = self._armed()
        if cue is None or cue.when is None or self._audience.held or self._clock.paused:
            return
        if self._audience.met(cue.when, self._clock.t):
            log.info("audience condition met (%s): cue %s", cue.when.describe(), cue.label)
            self._start(self._playhead, self._clock.t, automatic=False)

    # -- the picture ----------------------------------------------------------------------
    def _target(self) -> Layer:
        """The layer the picture heads for: the current cue's, in the room as last seen."""
        return self._picture.target(self.cues, self._cue(self._current), self._audience.crowd)

    def _start_fade(self, duration: float, easing: str, at: float) -> None:
        self._picture.start_fade(self.cues, self._target(), duration, easing, at)

    # -- reporting ------------------------------------------------------------------------
    def _cue(self, index: int | None) -> Cue | None:
        if index is None or not 0 <= index < len(self.cues.cues):
            return None
        return self.cues.cues[index]

    def _next_index(self) -> int:
        return self._waits.pre_wait.index if self._waits.pre_wait else self._playhead

    def _countdowns(self) -> tuple[float | None, float | None, float | None, float | None]:
        """Seconds left of (pre-wait, post-wait, follow, audience condition); None: idle."""
        t, waits = self._clock.t, self._waits
        pre = max(waits.pre_wait.fire_at - t, 0.0) if waits.pre_wait else None
        post = follow = cond = None
        cue = self._cue(self._current)
        if waits.next_at is not None and cue is not None:
            left = max(waits.next_at - t, 0.0)
            post, follow = (left, None) if cue.next == NextAction.AUTO_CONTINUE else (None, left)
        armed = self._armed()
        if armed is not None and armed.when is not None:
            cond = self._audience.left(armed.when, t)
        return pre, post, follow, cond

    def _phase(self) -> SequencerPhase:
        if self._master.mode is MasterMode.PANIC:
            return SequencerPhase.PANIC
        if self._master.mode is MasterMode.BLACKOUT:
            return SequencerPhase.BLACKOUT
        if self._clock.paused:
            return SequencerPhase.PAUSED
        if self._waits.pre_wait is not None:
            return SequencerPhase.PRE_WAIT
        cue = self._cue(self._current)
        if self._waits.next_at is not None and cue is not None:
            return SequencerPhase.POST_WAIT if cue.next == NextAction.AUTO_CONTINUE \
                else SequencerPhase.FOLLOW
        if self._armed() is not None:
            return SequencerPhase.HELD if self._audience.held else SequencerPhase.ARMED
        if self._picture.transitioning(self._clock.t):
            return SequencerPhase.TRANSITION
        if self._current is None:
            return SequencerPhase.STANDBY
        return SequencerPhase.ENDED if self._playhead >= len(self.cues.cues) \
            else SequencerPhase.READY
