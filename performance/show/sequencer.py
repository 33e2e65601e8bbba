"""The cue sequencer: a pure, single-threaded state machine driven by the `now` it is given.

GO starts the cue on the playhead: pre-wait -> fire (crossfade to its visual with its
easing, send its OSC, set its sound) -> post-wait / transition end -> next action. Waits and
transitions run on a *show clock* that Pause freezes; the master level (panic, blackout)
runs on real time so a panic works while paused. Timed events are handled at their exact due
time, so chains behave the same at any frame rate. Cues with an audience condition are
armed when the playhead reaches them and fire when the room meets it (or on GO).
"""

from __future__ import annotations

import logging

from performance.core.types import CrowdReading, RoomEmotion
from performance.show.commands import (
    Back,
    Blackout,
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
    Stop,
)
from performance.show.cuefile.load import CueListError, load_cue_file
from performance.show.cuefile.model import Catalog, Cue, CueList, OutgoingOsc
from performance.show.mixing import Crossfade, LevelFade, lerp_inputs
from performance.show.seqoptions import EDITING_COMMANDS, Outcome, SequencerOptions
from performance.show.state import InputValue, Layer, ShowFrame, SoundSetting
from performance.show.status import SequencerStatus

log = logging.getLogger(__name__)

__all__ = ["EDITING_COMMANDS", "Outcome", "Sequencer", "SequencerOptions"]

# The states a ShowFrame reports as they are; every other state shows as "running".
SHOW_STATES = ("panic", "blackout", "paused", "armed", "ended")


class Sequencer:
    """Runs a CueList; implements the Show protocol (`apply`, `tick`) plus `status()`."""

    def __init__(self, cues: CueList, options: SequencerOptions | None = None, *,
                 locked: bool = False) -> None:
        self.cues = cues
        self.options = options or SequencerOptions()
        self.locked = locked
        self.ignored_gos = 0
        self.refusals = 0
        self.last_refusal = ""
        self._now: float | None = None  # last real time seen
        self._t = 0.0  # show time (frozen while paused)
        self._paused = False
        self._playhead = 0
        self._current: int | None = None
        self._orphan: Layer | None = None  # layer of a current cue a reload removed
        self._pending: tuple[int, float] | None = None  # (cue index, fire at show time)
        self._auto: float | None = None  # show time of the current cue's next action
        self._overrides: dict[str, dict[str, InputValue]] = {}
        self._fade: Crossfade | None = None
        self._chaos = False
        self._sound = SoundSetting()
        self._crowd = CrowdReading()
        self._held = False
        self._met_since: float | None = None
        self._level = LevelFade()
        self._mode = "normal"  # normal, panic, blackout
        self._last_panic: float | None = None
        self._last_go: float | None = None
        self._outbox: list[OutgoingOsc] = []

    # -- the Show protocol ---------------------------------------------------------------
    def apply(self, command: object, now: float) -> None:
        """Take one command (see `handle`, which also says whether it was accepted)."""
        self.handle(command, now)

    def handle(self, command: object, now: float) -> Outcome:
        """Apply one command at real time `now`; refusals are counted and logged."""
        self._advance(now)
        if self.locked and isinstance(command, EDITING_COMMANDS):
            return self._refuse(f"{type(command).__name__} refused: the show is locked")
        if isinstance(command, Go | Back) and self._too_soon(now):
            self.ignored_gos += 1
            return self._refuse(f"{type(command).__name__} ignored: within "
                                f"{self.options.min_go_interval:g}s of the last GO")
        outcome = self._dispatch(command, now)
        if not outcome.accepted:
            return self._refuse(outcome.reason)
        return outcome

    def tick(self, now: float, emotion: RoomEmotion) -> ShowFrame:
        """Advance to `now` with the room's emotion and return what should be on stage."""
        self._crowd = emotion.crowd
        self._advance(now)
        self._check_condition()
        current, previous, mix, progress = self._compose(self._t)
        if self._fade is not None and self._fade.progress(self._t) >= 1.0:
            self._fade = None
        status = self.status()
        return ShowFrame(
            time=now, current=current, previous=previous, mix=mix,
            master=self._level.at(now), act=status.act, act_name=status.act_name,
            cue_id=status.cue_id, cue_name=status.cue_name, next_cue_id=status.next_cue_id,
            cue_progress=progress, countdown=status.countdown,
            status=status.state if status.state in SHOW_STATES else "running",
            chaos_mode=self._chaos, sound=self._sound,
        )

    # -- extras for control, app and audio ------------------------------------------------
    def take_outbox(self) -> list[OutgoingOsc]:
        """OSC messages of fired cues not yet handed out (oldest first); empties the box."""
        out, self._outbox = self._outbox, []
        return out

    def status(self) -> SequencerStatus:
        """A read-only snapshot for the operator view and OSC feedback."""
        cue, nxt = self._cue(self._current), self._cue(self._next_index())
        act = self.cues.act(cue.act) if cue else None
        armed = self._armed()
        pre, post, follow, cond_left = self._waits()
        return SequencerStatus(
            state=self._state(), act=act.number if act else 0, act_name=act.name if act else "",
            cue_id=cue.id if cue else None, cue_name=cue.name if cue else "",
            next_cue_id=nxt.id if nxt else None, next_cue_name=nxt.name if nxt else "",
            pre_wait_left=pre, post_wait_left=post, follow_left=follow,
            condition=armed.when.describe() if armed and armed.when else "",
            condition_left=cond_left, condition_held=self._held and armed is not None,
            paused=self._paused, locked=self.locked, chaos_mode=self._chaos,
            master=self._level.at(self._now or 0.0), ignored_gos=self.ignored_gos,
            last_refusal=self.last_refusal,
        )

    def rewind(self) -> None:
        """Put the playhead back on the first cue, cancelling waits and follows; nothing
        fires and the picture stays (for a show that loops: GO then starts it again). Not a
        command, so the show-mode lock does not refuse it."""
        self._playhead, self._pending, self._auto = 0, None, None
        self._held, self._met_since = False, None

    def reload(self, new: CueList) -> None:
        """Switch to an edited cue list, keeping the position by cue id."""
        old = self.cues
        cur = old.cues[self._current].id if self._current is not None else None
        play = old.cues[self._playhead].id if self._playhead < len(old.cues) else None
        pend = old.cues[self._pending[0]].id if self._pending else None
        if self._current is not None and new.index_of(old.cues[self._current].id) is None:
            self._orphan = self._target_layer()
        self.cues = new
        self._current = new.index_of(cur) if cur is not None else None
        if self._current is None:
            self._auto = None
        new_play = new.index_of(play) if play is not None else None
        if new_play is not None:
            self._playhead = new_play
        elif self._current is not None:
            self._playhead = self._current + 1
        else:
            self._playhead = min(self._playhead, len(new.cues))
        pend_index = new.index_of(pend) if pend is not None else None
        self._pending = (pend_index, self._pending[1]) \
            if self._pending and pend_index is not None else None

    def reload_file(self, catalog: Catalog | None = None) -> Outcome:
        """Reload the show file; a broken edit keeps the running version and says why."""
        try:
            new = load_cue_file(self.cues.path, catalog or self.cues.catalog)
        except CueListError as exc:
            log.warning("show file not reloaded, keeping the running version:\n%s", exc)
            return Outcome(False, str(exc))
        self.reload(new)
        return Outcome(True)

    # -- commands -------------------------------------------------------------------------
    def _dispatch(self, command: object, now: float) -> Outcome:
        if isinstance(command, Go):
            return self._go(now)
        if isinstance(command, Back):
            if self._current is None or self._current == 0:
                return Outcome(False, "Back: there is no earlier cue")
            return self._manual_fire(self._current - 1, now)
        if isinstance(command, GotoCue):
            index = self.cues.index_of(str(command.cue_id))
            if index is None:
                return Outcome(False, f"GotoCue: no cue with id {command.cue_id!r}")
            return self._manual_fire(index, now)
        if isinstance(command, SetPlayhead):
            return self._set_playhead(command.target)
        if isinstance(command, Stop):
            self._pending, self._auto, self._held, self._met_since = None, None, True, None
            return Outcome(True)
        if isinstance(command, Pause | Resume):
            self._paused = isinstance(command, Pause)
            return Outcome(True)
        if isinstance(command, Panic):
            return self._panic(now)
        if isinstance(command, HardStop):
            return self._panic(now, cut=True)
        if isinstance(command, Blackout):
            on = (self._mode != "blackout") if command.on is None else command.on
            self._mode = "blackout" if on else "normal"
            if self._level.target != (0.0 if on else 1.0):  # a repeat does not restart it
                self._level = self._level.to(now, 0.0 if on else 1.0, self.options.blackout_fade)
            return Outcome(True)
        if isinstance(command, SetInput):
            return self._set_input(command.name, command.value)
        if isinstance(command, SetChaosMode):
            if command.on != self._chaos:
                self._start_fade(self.options.chaos_fade, "ease_in_out")
                self._chaos = command.on
            return Outcome(True)
        if isinstance(command, HoldCondition):
            self._held, self._met_since = command.hold, None
            return Outcome(True)
        return Outcome(False, f"unknown command {command!r}")

    def _too_soon(self, now: float) -> bool:
        if self._last_go is not None and now - self._last_go < self.options.min_go_interval:
            return True
        self._last_go = now
        return False

    def _go(self, now: float) -> Outcome:
        self._restore_after_panic(now)
        if self._pending is not None:  # GO during a pre-wait fires that cue now
            self._fire(self._pending[0], self._t)
            return Outcome(True)
        if self._playhead >= len(self.cues.cues):
            return Outcome(False, "GO: the end of the cue list was reached")
        self._start(self._playhead, self._t, automatic=False)
        return Outcome(True)

    def _manual_fire(self, index: int, now: float) -> Outcome:
        """Back/GotoCue: fire at once, skip the pre-wait, do not follow its next action."""
        self._restore_after_panic(now)
        self._fire(index, self._t, follow=False)
        return Outcome(True)

    def _set_playhead(self, target: str) -> Outcome:
        if target in ("next", "previous"):
            step = 1 if target == "next" else -1
            index = min(max(self._playhead + step, 0), len(self.cues.cues))
        else:
            found = self.cues.index_of(target)
            if found is None:
                return Outcome(False, f"SetPlayhead: no cue with id {target!r}")
            index = found
        self._playhead, self._pending, self._auto = index, None, None
        self._held, self._met_since = False, None
        return Outcome(True)

    def _panic(self, now: float, *, cut: bool = False) -> Outcome:
        """Fade picture and sound out; a second panic within the window (or `cut`) cuts."""
        again = cut or (self._mode == "panic" and self._last_panic is not None
                        and now - self._last_panic <= self.options.double_panic_window)
        self._level = self._level.to(now, 0.0, 0.0 if again else self.options.panic_fade)
        self._mode, self._last_panic = "panic", now
        self._pending, self._auto, self._held, self._met_since = None, None, True, None
        return Outcome(True)

    def _restore_after_panic(self, now: float) -> None:
        if self._mode == "panic":
            self._mode = "normal"
            self._level = self._level.to(now, 1.0, self.options.restore_fade)

    def _set_input(self, name: str, value: InputValue) -> Outcome:
        visual = self._target_layer().visual
        specs = self.cues.inputs_of(visual)
        if name not in specs:
            declared = ", ".join(specs) or "none"
            return Outcome(False, f"SetInput: visual {visual!r} declares no input {name!r} "
                                  f"(declared: {declared})")
        try:
            coerced = specs[name].coerce(value)
        except (TypeError, ValueError) as exc:
            return Outcome(False, f"SetInput {name}: {exc}")
        self._overrides.setdefault(visual, {})[name] = coerced
        return Outcome(True)

    def _refuse(self, reason: str) -> Outcome:
        self.refusals += 1
        self.last_refusal = reason
        log.info("%s", reason)
        return Outcome(False, reason)

    # -- time and cues --------------------------------------------------------------------
    def _advance(self, now: float) -> None:
        """Move both clocks to `now`, handling every due wait at its exact time."""
        if self._now is None:
            self._now = now
        dt = max(now - self._now, 0.0)
        self._now = max(self._now, now)
        end = self._t + (0.0 if self._paused else dt)
        for _ in range(2 * len(self.cues.cues) + 8):
            due = [d for d in (self._pending[1] if self._pending else None, self._auto)
                   if d is not None]
            if not due or min(due) > end:
                break
            self._t = max(self._t, min(due))
            if self._pending is not None and self._pending[1] <= self._t:
                self._fire(self._pending[0], self._pending[1])
            elif self._auto is not None:
                at, self._auto = self._auto, None
                if self._current is not None and self._current + 1 < len(self.cues.cues):
                    self._start(self._current + 1, at, automatic=True)
        self._t = end

    def _start(self, index: int, at: float, *, automatic: bool) -> None:
        """GO on cue `index`: an automatic GO stops at a cue with a condition (it arms)."""
        cue = self.cues.cues[index]
        self._auto = None
        self._playhead = index
        self._held, self._met_since = False, None
        if automatic and cue.when is not None:
            return
        if cue.pre_wait > 0:
            self._pending = (index, at + cue.pre_wait)
        else:
            self._fire(index, at)

    def _fire(self, index: int, at: float, *, follow: bool = True) -> None:
        cue = self.cues.cues[index]
        self._start_fade(cue.transition.duration, cue.transition.easing, at)
        self._current, self._orphan, self._pending = index, None, None
        self._playhead = index + 1
        self._overrides = {}
        self._held, self._met_since = False, None
        act = self.cues.act(cue.act)
        self._sound = cue.sound or (act.sound if act else None) or self._sound
        self._outbox.extend(self.cues.outgoing(cue))
        self._auto = None
        if follow and cue.next == "auto_follow":
            self._auto = at + cue.transition.duration
        elif follow and cue.next == "auto_continue":
            self._auto = at + cue.post_wait
        log.info("cue %s fired", cue.label)

    def _armed(self) -> Cue | None:
        """The cue on the playhead when it waits for its audience condition."""
        cue = self._cue(self._playhead)
        if cue is None or cue.when is None or self._pending is not None \
                or self._auto is not None or self._mode == "panic":
            return None
        return cue

    def _check_condition(self) -> None:
        cue = self._armed()
        if cue is None or cue.when is None or self._held or self._paused:
            return
        if not cue.when.met(self._crowd):
            self._met_since = None
            return
        if self._met_since is None:
            self._met_since = self._t
        if self._t - self._met_since >= cue.when.for_s:
            log.info("audience condition met (%s): cue %s", cue.when.describe(), cue.label)
            self._start(self._playhead, self._t, automatic=False)

    # -- composing the picture ------------------------------------------------------------
    def _target_layer(self) -> Layer:
        cue = self._cue(self._current)
        chaos = self.options.chaos_visual
        if self._chaos and chaos in self.cues.catalog:
            visual, inputs = chaos, self.cues.defaults(chaos)
        elif cue is not None:
            visual, inputs = cue.visual, dict(cue.inputs)
        else:
            return self._orphan or Layer("blackout")
        specs = self.cues.inputs_of(visual)
        act = self.cues.act(cue.act) if cue else None
        for mapping in act.mappings if act else ():
            if mapping.input in specs:
                inputs[mapping.input] = specs[mapping.input].coerce(mapping.value(self._crowd))
        inputs.update(self._overrides.get(visual, {}))
        return Layer(visual, inputs)

    def _compose(self, t: float) -> tuple[Layer, Layer | None, float, float]:
        """(current, previous, mix, progress) at show time `t`."""
        target = self._target_layer()
        fade = self._fade
        if fade is None or fade.progress(t) >= 1.0:
            return target, None, 1.0, 1.0
        mix, progress = fade.mix(t), fade.progress(t)
        if fade.previous.visual == target.visual:
            specs = self.cues.inputs_of(target.visual)
            blended = lerp_inputs(fade.previous.inputs, target.inputs, mix, specs)
            return Layer(target.visual, blended), None, 1.0, progress
        return target, fade.previous, mix, progress

    def _start_fade(self, duration: float, easing: str, at: float | None = None) -> None:
        """Begin a crossfade from what shows at `at` (the dominant layer mid-transition)."""
        at = self._t if at is None else at
        current, previous, mix, _ = self._compose(at)
        showing = previous if previous is not None and mix < 0.5 else current
        self._fade = Crossfade(showing, at, duration, easing)

    # -- reporting ------------------------------------------------------------------------
    def _cue(self, index: int | None) -> Cue | None:
        if index is None or not 0 <= index < len(self.cues.cues):
            return None
        return self.cues.cues[index]

    def _next_index(self) -> int:
        return self._pending[0] if self._pending else self._playhead

    def _waits(self) -> tuple[float | None, float | None, float | None, float | None]:
        """Seconds left of (pre-wait, post-wait, follow, audience condition); None: idle."""
        pre = max(self._pending[1] - self._t, 0.0) if self._pending else None
        post = follow = cond = None
        cue = self._cue(self._current)
        if self._auto is not None and cue is not None:
            left = max(self._auto - self._t, 0.0)
            post, follow = (left, None) if cue.next == "auto_continue" else (None, left)
        armed = self._armed()
        if armed is not None and armed.when is not None and self._met_since is not None:
            cond = max(armed.when.for_s - (self._t - self._met_since), 0.0)
        return pre, post, follow, cond

    def _state(self) -> str:
        if self._mode in ("panic", "blackout"):
            return self._mode
        if self._paused:
            return "paused"
        if self._pending is not None:
            return "pre_wait"
        cue = self._cue(self._current)
        if self._auto is not None and cue is not None:
            return "post_wait" if cue.next == "auto_continue" else "follow"
        if self._armed() is not None:
            return "held" if self._held else "armed"
        if self._fade is not None and self._fade.progress(self._t) < 1.0:
            return "transition"
        if self._current is None:
            return "standby"
        return "ended" if self._playhead >= len(self.cues.cues) else "ready"
