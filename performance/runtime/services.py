"""Show services for a live run: OSC control, cue OSC out, and the sound, around the show.

Owns OSC control (its own process by default, `control = "thread"` for the socket threads
in this one), the sender for the messages cues send to lighting and sound desks,
the live audio output, and `publish`, which the main loop calls once a frame after the
show's tick: it answers the OSC senders with what the show did with their commands (the
sequencer's receipts: a reply means applied, or refused and why), sends the cues' outgoing
OSC, hands OSC subscribers the new status, steers the sound, follows show mode, and reloads
an edited show file (parsed and checked in a child process, only switched to on the render
thread; a broken edit keeps the running version). The show itself comes from
`assemble.build_show`. The main loop knows none of these; they never block it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from performance.config import Isolation, Settings
from performance.core.clock import Clock
from performance.core.mailbox import CommandQueue, CommandSink
from performance.core.status import InputStatus, SoundState
from performance.core.types import RoomEmotion
from performance.runtime.framestats import StatsSummary
from performance.runtime.showfile import ShowFileParse
from performance.runtime.showstatus import StatusBuilder
from performance.show.autogo import sequencer_of
from performance.show.commands import Command
from performance.show.cuefile.load import CueError, CueListError
from performance.show.cuefile.model import CueList
from performance.show.frame import Show, ShowFrame
from performance.show.seqoptions import NO_CUE_LIST, Outcome
from performance.show.sequencer import Sequencer

if TYPE_CHECKING:
    from performance.audio.engine import AudioEngine
    from performance.audio.process import AudioProcess
    from performance.console.options import ConsoleOptions
    from performance.console.pictures import PictureSink
    from performance.control.child import ExtraRunning
    from performance.control.port import ControlPort
    from performance.control.process import OscProcess
    from performance.control.sender import OscSender
    from performance.control.server import OscServer

log = logging.getLogger(__name__)

RELOAD_EVERY = 0.5  # seconds between two looks at the show file's modification time
STATS_EVERY = 0.5  # seconds between two recomputations of the statistics for OSC status
END_FADE = 0.25  # seconds the sound takes to fade out when the run ends


@dataclass
class ShowServices:
    """Everything around the show that a live run starts, feeds once a frame, and stops."""

    show: Show
    commands: CommandSink[Command]
    clock: Clock
    hub: ControlPort | None = None  # when OSC is on: a ControlHub, or the OscProcess
    server: OscServer | OscProcess | None = None  # what serves the sockets (stopped at close)
    sender: OscSender | None = None
    audio: AudioEngine | None = None  # when sound is on
    output: AudioProcess | None = None
    fps: float = 0.0
    show_file_error: str | None = None
    report: str = ""  # a kiosk's health report (JSON), answered on `/essence/health`
    recording: Callable[[], bool] = lambda: False  # whether the run records (recording/tap)
    on_osc: Callable[[float, str, str, str], None] | None = None  # (now, address, host,
    # reply status) of each OSC message received, once a frame (a recording's `osc` records)
    taken: Callable[[], list[tuple[Command, Outcome]]] = list  # receipts of commands the
    # recording tap took in front of a show that keeps none (the autopilot)
    _status: StatusBuilder = field(default_factory=StatusBuilder, repr=False)
    input_status: Callable[[], InputStatus] | None = None
    pictures: PictureSink | None = None  # the console's thumbnails (console/pictures.py)
    console: ExtraRunning | None = None  # the web console when it runs in this process
    served: tuple[tuple[str, int], tuple[str, int] | None] | None = None  # its addresses
    stats: Callable[[], StatsSummary] | None = None  # the run's statistics (the loop's)
    _shown_stats: StatsSummary | None = None
    _next_stats: float = 0.0
    sequencer: Sequencer | None = field(init=False)  # the show's cue sequencer, if any
    _last_publish: float | None = None
    _next_reload: float = 0.0
    _show_mtime: float | None = field(default=None, repr=False)
    _show_parse: ShowFileParse | None = field(default=None, repr=False)  # the newest edit

    def __post_init__(self) -> None:
        self.sequencer = sequencer_of(self.show)

    def publish(self, show_frame: ShowFrame, emotion: RoomEmotion) -> None:
        """Once a frame, on the main thread: sound, cue OSC out, feedback, show file."""
        now = self.clock.now()
        if self._last_publish is not None and now > self._last_publish:
            self.fps += 0.1 * (1.0 / (now - self._last_publish) - self.fps)
        self._last_publish = now
        if self.audio is not None:
            self.audio.update(show_frame, emotion.crowd)
        if self.hub is not None and self.on_osc is not None:
            for address, host, status in self.hub.take_events():
                self.on_osc(now, address, host, status)
        seq = self.sequencer
        if seq is None:
            if self.hub is not None:  # the autopilot takes no commands; health still reports
                from performance.control.feedback import RigStatus

                self.hub.publish(RigStatus(faces=round(emotion.crowd.face_count),
                                           chaos=emotion.crowd.chaos, fps=self.fps,
                                           health=self.health(), report=self.report))
                self.hub.settle(self.taken(), Outcome(False, NO_CUE_LIST))  # after the status
            return
        receipts = seq.take_receipts()
        if self.hub is not None:
            seq.locked = self.hub.show_mode
            ranges = self._status.visual_changed(seq, show_frame.current.visual)
            if ranges is not None:
                self.hub.set_param_ranges(ranges)
        for message in seq.take_outbox():
            if self.sender is not None:
                self.sender.send(message.host, message.port, message.address, message.args)
        if self.hub is not None:
            input_status = self.input_status() if self.input_status is not None else None
            self.hub.publish(self._status.build(
                seq, emotion.crowd, fps=self.fps, health=self.health(),
                stats=self._recent_stats(now), show_mode=self.hub.show_mode,
                report=self.report, recording=self.recording(), sound=self.sound_health(),
                input_health=str(input_status) if input_status is not None else "ok"))
            # answered after the status is out: a query sent right after an `ok` sees the
            # show as the reply says (the OSC process takes the status before it answers)
            self.hub.settle(receipts)
        if now >= self._next_reload:
            self._next_reload = now + RELOAD_EVERY
            self._reload_if_edited(seq)

    def watch_stats(self, stats: Callable[[], StatsSummary]) -> None:
        """Follow the run's statistics (the live run hands the loop's getter here), for the
        latency and perception rate in the OSC status."""
        self.stats = stats

    def _recent_stats(self, now: float) -> StatsSummary | None:
        """The statistics, recomputed at most every STATS_EVERY seconds (they sort)."""
        if self.stats is not None and now >= self._next_stats:
            self._next_stats = now + STATS_EVERY
            self._shown_stats = self.stats()
        return self._shown_stats

    def watch_input(self, status: Callable[[], InputStatus]) -> None:
        """Follow the input's status (the live run hands its getter here), for `health`."""
        self.input_status = status

    def sound_health(self) -> SoundState:
        """The sound's state for the console."""
        if self.output is None:
            return SoundState.OFF
        if self.output.lost:
            return SoundState.LOST
        return SoundState.SILENT if self.output.silent else SoundState.OK

    def health(self) -> str:
        """`ok`, or what is wrong: a lost input, a lost or silent sound, a refused show-file
        edit."""
        problems = []
        status = self.input_status() if self.input_status is not None else None
        if status is not None and status.lost:
            problems.append(f"input {status}")
        if self.output is not None and self.output.lost:  # its process died: coming back
            problems.append("sound lost")
        elif self.output is not None and self.output.silent:
            problems.append("sound silent")
        if self.show_file_error:
            problems.append("show file edit refused")
        return "; ".join(problems) or "ok"

    def _reload_if_edited(self, seq: Sequencer) -> None:
        """Follow edits of the show file without stopping the picture: an edit is read,
        parsed and checked in a child process (`ShowFileParse`; a 5 MB file took 2.4 s of
        work, which froze the picture when it ran here), and the render thread only switches
        to the checked cue list (`Sequencer.reload`: 0.1 ms for 22,000 cues) the next time
        it looks. A newer edit while one is parsing wins (the older parse is stopped and
        dropped); a broken edit keeps the running version and says why."""
        try:
            mtime = os.stat(seq.cues.path).st_mtime
        except OSError as exc:
            if self.show_file_error is None:
                log.warning("show file %s unreadable (%s); keeping the running version",
                            seq.cues.path, exc)
            self.show_file_error = str(exc)
            return
        if self._show_mtime is None:
            self._show_mtime = mtime
        elif mtime != self._show_mtime:
            self._show_mtime = mtime
            if self._show_parse is not None:
                self._show_parse.cancel()  # a newer edit wins
            self._show_parse = ShowFileParse(seq.cues.path, seq.cues.catalog, mtime)
        parse = self._show_parse
        if parse is not None and parse.done():
            self._show_parse = None
            self._take_show_file(seq, parse.result)

    def _take_show_file(self, seq: Sequencer, result: CueList | CueListError | None) -> None:
        """Switch to a parsed edit, or keep the running version and say why."""
        if isinstance(result, CueList):
            seq.reload(result)
            self.show_file_error = None
            log.info("show file %s reloaded", seq.cues.path)
            return
        error = result if result is not None else CueListError(
            [CueError(seq.cues.path, 1, "the show file could not be loaded")])
        log.warning("show file not reloaded, keeping the running version:\n%s", error)
        self.show_file_error = str(error)

    def status_line(self) -> str:
        """One line about sound and control for the end-of-run report."""
        parts = []
        if self.audio is not None:
            parts.append(self.audio.status)
        if self.hub is not None:
            counts = ", ".join(f"{k} {v}" for k, v in self.hub.counts().items() if v)
            parts.append(f"osc: {counts or 'no messages'}")
        return "; ".join(parts)

    def close(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Stop servers, sender and sound; the sound fades out with the picture, not a click."""
        if self.audio is not None and self.output is not None and not self.output.silent:
            self.output.publish(replace(self.audio.params, master=0.0))
            sleep(END_FADE)
        for part in (self.console, self.server, self.sender, self.output):
            if part is not None:
                try:  # one that fails to stop must not leave the others (the sound) running
                    part.stop()
                except Exception:
                    log.exception("stopping %s failed", type(part).__name__)


def start_services(show: Show, settings: Settings, *, clock: Clock, osc: bool = True,
                   sound: bool = True, retry_sound: bool = False) -> ShowServices:
    """Start OSC (when `osc` and a port is set, or the web console is asked for; in its own
    process unless `control` is "thread", the console with it) and sound (when `sound` and
    enabled; `retry_sound`: a missing output is retried instead of refused, for a kiosk)."""
    from performance.console.options import console_options

    services = ShowServices(show=show, commands=CommandQueue(), clock=clock)
    console = console_options(settings)  # a bad --console is refused before anything starts
    try:
        if osc and (settings.osc_port or settings.osc_tcp_port or console is not None):
            from performance.control.sender import OscSender

            _start_control(services, settings, clock, console)
            services.sender = OscSender(clock=clock)
            services.sender.start()
        if sound and settings.sound:
            services.audio, services.output = _start_sound(settings, retry=retry_sound)
    except BaseException:
        services.close()
        raise
    return services


def _start_control(services: ShowServices, settings: Settings, clock: Clock,
                   console: ConsoleOptions | None) -> None:
    """OSC control in its own process (default): in the render's process the socket threads
    wait for the interpreter lock behind each software-rendered frame (`/thump` took 1.2 s
    median at 1280x720; see bench/bench_osc.py for the figures). Either way it keeps the
    sequencer's one GO-interval rule on the show's clock (see control/process.py). The web
    console is served by the same process (or threads), with the same hub."""
    gate = services.sequencer.go_gate if services.sequencer is not None else None
    launch = None
    if console is not None:
        import multiprocessing as mp

        from performance.console.launch import ConsoleLaunch
        from performance.console.pictures import PictureBlocks, PictureSink

        blocks = PictureBlocks.create(mp.get_context("spawn"), camera=console.camera)
        launch = ConsoleLaunch(console, blocks)
        services.pictures = PictureSink(blocks)
    if Isolation(settings.control) is Isolation.PROCESS:
        from performance.control.process import OscProcess

        process = OscProcess.from_settings(settings, go_gate=gate, clock=clock, extra=launch)
        services.hub = services.server = process
        services.commands = process
        process.start()
        services.served = process.served
        return
    from performance.control.hub import ControlHub
    from performance.control.options import HubOptions
    from performance.control.server import OscServer

    hub = ControlHub(HubOptions.from_settings(settings), clock=clock, go_gate=gate)
    services.hub = services.commands = hub
    services.server = OscServer.from_settings(hub, settings)
    services.server.start()
    if launch is not None:
        running = launch.start(hub)
        services.console = running
        services.served = (running.address, running.oscquery_address)


def _start_sound(settings: Settings, *, retry: bool = False) -> tuple[AudioEngine, AudioProcess]:
    """The sound runs in its own process: in the render's process the audio callback waits
    for the interpreter lock behind rendering and inference (measured: a whole block period
    on average, against a quarter out of process; see docs/audio.md)."""
    from performance.audio.engine import AudioEngine
    from performance.audio.process import AudioProcess

    device: int | str | None = settings.audio_device or None
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    latency: str | float = settings.audio_latency.strip().lower()  # checked by config.py
    with contextlib.suppress(ValueError):  # "low"/"high" stay names, "0.05" becomes seconds
        latency = float(latency)
    output = AudioProcess(device=device, blocksize=settings.audio_block, latency=latency)
    output.start(retry=retry)  # False: no device, the show runs silent and the output says why
    return AudioEngine(output), output
