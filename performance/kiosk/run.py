"""`essence kiosk`: the live show run unattended, on top of the ordinary live run.

Owns the kiosk's life: the start ledger and its verdict (safe mode after repeated crashes),
the show file's last good copy (a file corrupted at boot starts from it, and says so), the
resume point (saved on every cue change, off the render thread; read back at start), the
`KioskShow` around the story, and `KioskBeat`, the once-a-frame hook that pings systemd's
watchdog from the render loop itself, says READY once the first frame is presented, and
writes the health report every few seconds. Everything else (window, perception, OSC,
sound) is the live run of runtime/live.py with its services.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from performance.config import DEFAULT_CUES, Settings
from performance.core.clock import Clock, MonotonicClock
from performance.core.errors import EssenceError
from performance.core.files import write_atomic
from performance.core.types import RoomEmotion
from performance.kiosk.crashes import CrashVerdict, Start, judge, ledger_text, read_starts
from performance.kiosk.health import Health, memory_mb
from performance.kiosk.hours import parse_hours
from performance.kiosk.logs import LastError
from performance.kiosk.notify import Notifier
from performance.kiosk.resume import ResumePoint, load_resume
from performance.kiosk.show import KioskMode, KioskShow, KioskShowOptions
from performance.kiosk.state import StatePaths
from performance.kiosk.writer import StateWriter
from performance.operator.keys import KeyAction
from performance.runtime.assemble import build_show
from performance.runtime.live import LiveOptions, RunReport
from performance.runtime.services import ShowServices
from performance.show.autogo import sequencer_of
from performance.show.commands import GotoCue
from performance.show.frame import Show, ShowFrame

log = logging.getLogger(__name__)

EXIT_RETRY = 75  # EX_TEMPFAIL: safe mode is over, systemd starts the show again
LAST_GOOD = "last_good_show.toml"


@dataclass(frozen=True)
class KioskReport:
    """How a kiosk run ended: the live run's report, the exit status, what it resumed."""

    run: RunReport
    status: int
    mode: KioskMode
    resumed: str | None  # the cue it resumed at, if any
    safe_reason: str = ""
    show_note: str = ""  # e.g. "show file broken: playing the last good copy"


def open_ledger(paths: StatePaths, now: float, settings: Settings) -> CrashVerdict:
    """Judge the earlier runs, then add this start (unclean until `close_ledger`). A ledger
    that cannot be written is logged."""
    starts = read_starts(paths.starts)
    verdict = judge(starts, now, limit=settings.crash_limit, window=settings.crash_window)
    starts.append(Start(now))
    try:
        write_atomic(paths.starts, ledger_text(starts))
    except OSError as exc:
        log.error("cannot write the start ledger %s (%s); crashes are not counted", paths.starts,
                  exc)
    if verdict.crashes:
        log.warning("%d unclean end(s) of earlier runs in the last %g min%s", verdict.crashes,
                    settings.crash_window / 60, f"; {verdict.reason}" if verdict.safe else "")
    return verdict


def close_ledger(paths: StatePaths, at: float) -> None:
    """Mark the start at wall time `at` as ended cleanly."""
    starts = [Start(s.at, True) if abs(s.at - at) < 1e-3 else s for s in read_starts(paths.starts)]
    try:
        write_atomic(paths.starts, ledger_text(starts))
    except OSError as exc:
        log.error("cannot write the start ledger %s (%s)", paths.starts, exc)


def kiosk_show(settings: Settings, paths: StatePaths) -> tuple[Show, Path, str]:
    """The story the kiosk plays (the cues setting, else the Neo-Lumen show) pressing GO by
    itself, the show file it came from, and a note when the file was broken and the last
    good copy plays instead. A good file is copied to the state folder as the last good one."""
    cues = Path(settings.cues) if settings.cues else DEFAULT_CUES
    auto_go = settings.auto_go or settings.kiosk_auto_go
    last_good = paths.folder / LAST_GOOD
    try:
        show = build_show(replace(settings, cues=str(cues)), visual=None, visuals=(),
                          auto_go=auto_go)
    except EssenceError as exc:
        if not last_good.is_file():
            raise
        log.error("show file %s refused (%s); playing its last good copy %s", cues,
                  str(exc).splitlines()[0], last_good)
        show = build_show(replace(settings, cues=str(last_good)), visual=None, visuals=(),
                          auto_go=auto_go)
        return show, cues, f"show file broken: playing the last good copy ({last_good})"
    try:
        paths.folder.mkdir(parents=True, exist_ok=True)
        good = cues.read_bytes()
        if not last_good.is_file() or last_good.read_bytes() != good:
            write_atomic(last_good, good)
    except OSError as exc:
        log.warning("cannot keep a last good copy of %s (%s)", cues, exc)
    return show, cues, ""


def resume_at(show: Show, point: ResumePoint | None, now: float) -> str | None:
    """Fire the saved cue (with what follows it); the cue id, or None when there is none or
    the show no longer has it."""
    seq = sequencer_of(show)
    if point is None or seq is None:
        return None
    outcome = seq.handle(GotoCue(point.cue_id, follow=True), now)
    if not outcome.accepted:
        log.warning("cannot resume at cue %s (%s); the story starts at the top", point.cue_id,
                    outcome.reason)
        return None
    log.info("resumed at act %d, cue %s %s", point.act, point.cue_id, point.cue_name)
    return point.cue_id


def kiosk_options(settings: Settings) -> KioskShowOptions:
    """The KioskShow's options from the settings."""
    return KioskShowOptions(attract_after=settings.attract_after,
                            attract_visual=settings.attract_visual,
                            safe_visual=settings.safe_visual)


def live_options(options: LiveOptions, settings: Settings, *, safe: bool) -> LiveOptions:
    """The live run a kiosk asks for: only the exit chord as a key; in safe mode no camera
    and no faces (the input may be what crashed)."""
    keymap = {settings.exit_chord: KeyAction.QUIT}
    if safe:
        return replace(options, keymap=keymap, input="scripted", scripted_faces=0,
                       operator=False, preview=False)
    return replace(options, keymap=keymap, operator=False, preview=False, missing_input_ok=True)


class KioskBeat:
    """Once a frame, after the services' publish: the watchdog, READY, the health report."""

    def __init__(self, *, show: KioskShow, services: ShowServices, notifier: Notifier,
                 writer: StateWriter, paths: StatePaths, settings: Settings, clock: Clock,
                 wall: Callable[[], datetime], verdict: CrashVerdict, last_error: LastError,
                 show_note: str = "") -> None:
        self.show, self.services, self.notifier, self.writer = show, services, notifier, writer
        self.paths, self.settings, self.clock, self.wall = paths, settings, clock, wall
        self.verdict, self.last_error, self.show_note = verdict, last_error, show_note
        self.started = clock.now()
        self.frames = 0
        self.ready = False
        self.stop_status: int | None = None  # set: the run should end with this status
        self._next_health = self.started
        self._faces = 0
        self.last: Health | None = None
        self.frame: ShowFrame | None = None
        self._perception_restarts: Callable[[], int] = lambda: 0

    def watch_perception(self, restarts: Callable[[], int]) -> None:
        """Follow how often the perception process was replaced (the live run's getter)."""
        self._perception_restarts = restarts

    def __call__(self, frame: ShowFrame, emotion: RoomEmotion) -> None:
        self.services.publish(frame, emotion)
        self.frame = frame
        now = self.clock.now()
        self.frames += 1
        self._faces = round(emotion.crowd.face_count)
        if not self.ready and self.frames >= 2:  # the first frame has been presented
            self.ready = True
            self.notifier.ready(self.report(frame).line())
        if self.ready:  # from the render loop itself: a hung loop stops pinging
            self.notifier.watchdog(now)
        if self.ready and now >= self._next_health:
            self._next_health = now + self.settings.health_every
            health = self.report(frame)
            self.services.report = health.to_json()
            self.writer.submit(self.paths.health, self.services.report)
            self.notifier.status(health.line())
        if self.show.safe and self.notifier.enabled \
                and now - self.started >= self.settings.safe_hold:
            log.warning("safe mode held %g s: exiting for systemd to try the show again",
                        self.settings.safe_hold)
            self.stop_status = EXIT_RETRY

    def report(self, frame: ShowFrame | None) -> Health:
        """The health report now."""
        services, now = self.services, self.clock.now()
        stats = services.stats() if services.stats is not None else None
        status = services.input_status() if services.input_status is not None else None
        health = services.health()
        if self.show_note:
            health = self.show_note if health == "ok" else f"{health}; {self.show_note}"
        if self.show.safe:
            health = f"{self.verdict.reason}; {health}"
        restarts = {"crashes_recent": self.verdict.crashes}
        if self._perception_restarts():
            restarts["perception"] = self._perception_restarts()
        for name, part in (("osc", services.server), ("sound", services.output)):
            count = getattr(part, "restarts", 0)
            if isinstance(count, int) and count:
                restarts[name] = count
        underflows = None
        if services.output is not None and not services.output.silent:
            underflows = services.output.stats().underflows
        self.last = Health(
            updated=self.wall().isoformat(timespec="seconds"), pid=os.getpid(),
            uptime_s=round(now - self.started, 1), mode=str(self.show.mode), health=health,
            act=frame.act if frame else 0, act_name=frame.act_name if frame else "",
            cue_id=frame.cue_id if frame else None, cue_name=frame.cue_name if frame else "",
            fps=round(services.fps, 1), frame_p99_ms=round(stats.p99_ms, 1) if stats else 0.0,
            frames=self.frames, faces=self._faces, camera=str(status) if status else "",
            sound=services.audio.status if services.audio is not None else "sound: off",
            underflows=underflows, restarts=restarts, crashes=self.verdict.crashes,
            safe_reason=self.verdict.reason, open=self.show.mode is not KioskMode.CLOSED,
            last_error=self.last_error.text, memory_mb=round(memory_mb(), 1))
        return self.last


def run_kiosk(options: LiveOptions, settings: Settings, paths: StatePaths, *,
              last_error: LastError, clock: Clock | None = None,
              wall: Callable[[], datetime] = datetime.now,
              notifier: Notifier | None = None) -> KioskReport:
    """One kiosk run until the exit chord, a signal (SIGTERM, SIGHUP: from start-up on, the
    run ends the normal way), `options.seconds`, or the end of a safe-mode hold; see the
    module docstring."""
    from performance.runtime.signals import stop_on_signals

    clock = clock or MonotonicClock()
    notifier = notifier or Notifier()
    hours = parse_hours(settings.opening_hours)
    started_at = wall().timestamp()
    verdict = open_ledger(paths, started_at, settings)
    writer = StateWriter()
    try:
        with stop_on_signals() as asked:
            story = _story(settings, paths, verdict)

            def saved(frame: ShowFrame) -> None:
                if story.file is not None and frame.cue_id is not None:
                    point = ResumePoint(show=str(story.file.resolve()), cue_id=frame.cue_id,
                                        act=frame.act, cue_name=frame.cue_name)
                    writer.submit(paths.resume, point.to_json())

            show = KioskShow(story.show, kiosk_options(settings), hours=hours, wall=wall,
                             sequencer=sequencer_of(story.show), safe=verdict.safe,
                             on_cue=saved)
            report, status, resumed = _play(
                show, story, options, settings, paths, clock=clock, wall=wall,
                notifier=notifier, writer=writer, verdict=verdict, last_error=last_error,
                asked=asked)
    finally:
        writer.close()
        notifier.close()
    close_ledger(paths, started_at)  # only a run that ended by itself ended cleanly
    return KioskReport(run=report, status=status, mode=show.mode, resumed=resumed,
                       safe_reason=verdict.reason, show_note=story.note)


@dataclass(frozen=True)
class _Story:
    show: Show
    file: Path | None  # the show file it came from (None: the safe mode's autopilot)
    note: str  # e.g. the last good copy plays
    settings: Settings  # the run's settings (safe mode: no sound)


def _story(settings: Settings, paths: StatePaths, verdict: CrashVerdict) -> _Story:
    if verdict.safe:
        show = build_show(replace(settings, cues=""), visual=None, visuals=())
        return _Story(show, None, "", replace(settings, sound=False))
    show, path, note = kiosk_show(settings, paths)
    return _Story(show, path, note, settings)


def _play(show: KioskShow, story: _Story, options: LiveOptions, settings: Settings,
          paths: StatePaths, *, clock: Clock, wall: Callable[[], datetime], notifier: Notifier,
          writer: StateWriter, verdict: CrashVerdict, last_error: LastError,
          asked: Callable[[], bool]) -> tuple[RunReport, int, str | None]:
    """Services up, resume, the live run, services down: (report, exit status, resumed)."""
    from performance.runtime.live import console_line, run_live
    from performance.runtime.services import start_services

    services = start_services(show, story.settings, clock=clock, retry_sound=True)
    if services.served is not None:
        log.info("%s", console_line(*services.served))
    try:
        resumed = None
        if story.file is not None:
            resumed = resume_at(story.show, load_resume(paths.resume, story.file), clock.now())
        beat = KioskBeat(show=show, services=services, notifier=notifier, writer=writer,
                         paths=paths, settings=settings, clock=clock, wall=wall,
                         verdict=verdict, last_error=last_error, show_note=story.note)
        report = run_live(live_options(options, settings, safe=verdict.safe), story.settings,
                          show=show, commands=services.commands, clock=clock, publish=beat,
                          watch_input=services.watch_input, watch_stats=services.watch_stats,
                          watch_restarts=beat.watch_perception,
                          stop=lambda: asked() or beat.stop_status is not None,
                          pictures=services.pictures)
        notifier.stopping()
        final = beat.report(beat.frame)
        writer.submit(paths.health, replace(final, mode="stopped").to_json())
        return report, beat.stop_status or 0, resumed
    finally:
        services.close()
