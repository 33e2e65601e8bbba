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
import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from performance.config import Isolation, Settings
from performance.core.clock import Clock
from performance.core.inputs import InputValue, ShaderInput
from performance.core.mailbox import CommandQueue, CommandSink
from performance.core.status import InputStatus
from performance.core.types import RoomEmotion
from performance.runtime.framestats import StatsSummary
from performance.show.autogo import sequencer_of
from performance.show.commands import Command
from performance.show.cuefile.load import CueError, CueListError, load_cue_file
from performance.show.cuefile.model import Catalog, CueList
from performance.show.frame import Show, ShowFrame
from performance.show.seqoptions import NO_CUE_LIST, Outcome
from performance.show.sequencer import Sequencer

if TYPE_CHECKING:
    from performance.audio.engine import AudioEngine
    from performance.audio.process import AudioProcess
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
    _names_of: object = field(default=None, repr=False)  # the cue list `_names` was built from
    _names: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    input_status: Callable[[], InputStatus] | None = None
    stats: Callable[[], StatsSummary] | None = None  # the run's statistics (the loop's)
    _shown_stats: StatsSummary | None = None
    _next_stats: float = 0.0
    sequencer: Sequencer | None = field(init=False)  # the show's cue sequencer, if any
    _last_publish: float | None = None
    _visual: str | None = None
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

                self.hub.settle(self.taken(), Outcome(False, NO_CUE_LIST))
                self.hub.publish(RigStatus(faces=round(emotion.crowd.face_count),
                                           chaos=emotion.crowd.chaos, fps=self.fps,
                                           health=self.health(), report=self.report))
            return
        if self.hub is not None:
            self.hub.settle(seq.take_receipts())
            seq.locked = self.hub.show_mode
            if show_frame.current.visual != self._visual:
                self._visual = show_frame.current.visual
                self.hub.set_param_ranges(input_ranges(seq.cues.inputs_of(self._visual)))
        for message in seq.take_outbox():
            if self.sender is not None:
                self.sender.send(message.host, message.port, message.address, message.args)
        if self.hub is not None:
            from performance.control.feedback import rig_status_from

            stats = self._recent_stats(now)
            self.hub.publish(rig_status_from(
                seq.status(), faces=round(emotion.crowd.face_count), chaos=emotion.crowd.chaos,
                fps=self.fps, health=self.health(),
                latency_ms=stats.emotion_p95_ms if stats else None,
                presented_ms=stats.presented_p95_ms if stats else None,
                perception_fps=stats.perception_fps if stats else 0.0,
                show_mode=self.hub.show_mode,
                cues=self._cue_names(seq), report=self.report, recording=self.recording()))
        if now >= self._next_reload:
            self._next_reload = now + RELOAD_EVERY
            self._reload_if_edited(seq)

    def _cue_names(self, seq: Sequencer) -> tuple[tuple[str, str], ...]:
        """(id, name) of every cue, rebuilt only when the cue list changed (a reload): 7 ms a
        frame for a 22,000-cue show otherwise."""
        if self._names_of is not seq.cues:
            self._names_of = seq.cues
            self._names = tuple((cue.id, cue.name) for cue in seq.cues.cues)
        return self._names

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
        for part in (self.server, self.sender, self.output):
            if part is not None:
                try:  # one that fails to stop must not leave the others (the sound) running
                    part.stop()
                except Exception:
                    log.exception("stopping %s failed", type(part).__name__)


CUE_CHUNK = 500  # cues per message from the show-file process (each unpickles in ~5 ms)
PARSE_TIMEOUT_S = 120.0  # a show file not loaded by then is refused (the process is killed)


class _Cancelled(Exception):
    """A newer edit replaced the one being loaded."""


class ShowFileParse:
    """One edit of the show file read, parsed and checked (`load_cue_file`) in a child
    process, where it never holds the interpreter lock that the render thread needs (in a
    thread here, a 5 MB file still stopped the picture for up to 0.7 s at a time on a busy
    CPU). The checked cue list comes back in pieces of CUE_CHUNK cues to a daemon thread here;
    `result` is the CueList, or the CueListError naming file:line, once `done()`."""

    def __init__(self, path: Path, catalog: Catalog, mtime: float) -> None:
        self.path, self.mtime = Path(path), mtime
        self.result: CueList | CueListError | None = None
        self._done = threading.Event()
        self._cancelled = threading.Event()
        threading.Thread(target=self._run, args=(catalog,), name="essence-show-file",
                         daemon=True).start()

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop: the process is killed, and the result will never be used."""
        self._cancelled.set()

    def _run(self, catalog: Catalog) -> None:
        try:
            self.result = self._load(catalog)
        except Exception as exc:  # a bug in loading must not leave the edit waiting forever
            log.exception("show file %s: loading failed", self.path)
            self.result = CueListError([CueError(self.path, 1, f"loading failed ({exc})")])
        finally:
            self._done.set()

    def _load(self, catalog: Catalog) -> CueList | CueListError:
        import multiprocessing as mp

        spawn = mp.get_context("spawn")
        ours, theirs = spawn.Pipe(duplex=False)
        proc = spawn.Process(target=_load_in_child, name="essence-show-file", daemon=True,
                             args=(self.path, catalog, theirs, os.getpid()))
        proc.start()  # from this thread, which lives until the process has ended
        theirs.close()
        deadline = time.monotonic() + PARSE_TIMEOUT_S
        try:
            return self._receive(ours, deadline)
        except _Cancelled:  # nobody looks at this result
            return CueListError([CueError(self.path, 1, "replaced by a newer edit")])
        except TimeoutError:
            return CueListError([CueError(self.path, 1, "could not be loaded within "
                                          f"{PARSE_TIMEOUT_S:.0f} s")])
        except (EOFError, OSError):
            return CueListError([CueError(self.path, 1, "could not be loaded (the loading "
                                          f"process ended, exit code {proc.exitcode})")])
        finally:
            ours.close()
            if self._cancelled.is_set():
                proc.kill()  # a replaced edit: nothing of it is wanted
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)

    def _receive(self, conn: Connection, deadline: float) -> CueList | CueListError:
        def take() -> Any:
            while not conn.poll(min(0.05, max(0.0, deadline - time.monotonic()))):
                if self._cancelled.is_set():
                    raise _Cancelled
                if time.monotonic() >= deadline:
                    raise TimeoutError
            return conn.recv()

        head = take()
        if head[0] == "error":
            return CueListError([CueError(*problem) for problem in head[1]])
        _, fields_, count = head
        cues: list[Any] = []
        with _collector_held():  # the pieces make hundreds of thousands of objects
            while len(cues) < count:
                cues.extend(take())
                time.sleep(0)  # the render thread's turn between two pieces
        return CueList(**fields_, cues=tuple(cues))


def _load_in_child(path: Path, catalog: Catalog, conn: Connection, parent_pid: int) -> None:
    """The show-file process: load and check one file, send it back in pieces."""
    from dataclasses import fields as dataclass_fields

    from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent

    die_with_parent(parent_pid, "essence-showfile")
    leave_stop_signals_to_parent()  # not niced: a busy CPU would starve it (for minutes)
    try:
        loaded = load_cue_file(path, catalog)
    except CueListError as exc:
        conn.send(("error", [(e.path, e.line, e.reason, e.subject) for e in exc.errors]))
        return
    except Exception as exc:
        conn.send(("error", [(str(path), 1, f"loading failed ({type(exc).__name__}: {exc})",
                              "")]))
        return
    head = {f.name: getattr(loaded, f.name) for f in dataclass_fields(loaded)
            if f.name != "cues"}
    conn.send(("list", head, len(loaded.cues)))
    for start in range(0, len(loaded.cues), CUE_CHUNK):
        conn.send(loaded.cues[start:start + CUE_CHUNK])
    conn.close()


@contextlib.contextmanager
def _collector_held() -> Iterator[None]:
    """Hold the cyclic garbage collector off while a big cue list is built, then freeze
    what exists (`gc.freeze`: never walked again, still freed when unused). A 5 MB show
    file is about a million objects; each collection walking them (up to 0.1 s, several
    while they are made and more after) holds the interpreter lock, stopping the render
    thread too. A cue list holds no reference cycles, so a replaced one is freed by its
    reference count: many edits keep one list frozen, not one per edit
    (tests/integration/test_show_reload.py)."""
    global _held, _held_enabled
    with _held_lock:  # parses may overlap (a newer edit while one is still being built)
        if _held == 0:
            _held_enabled = gc.isenabled()
            gc.disable()
        _held += 1
    try:
        yield
    finally:
        with _held_lock:
            _held -= 1
            if _held == 0 and _held_enabled:
                gc.freeze()
                gc.enable()


_held_lock = threading.Lock()
_held = 0  # cue lists being built now (`_collector_held`)
_held_enabled = False  # whether the collector was on when the first of them began


def input_ranges(inputs: Mapping[str, ShaderInput]) -> dict[str, tuple[float, float]]:
    """name -> (min, max) of a visual's declared inputs, for checking OSC values at the door
    (a vector input's widest component range; an input without a range takes any finite
    value, which the show then clamps)."""
    from performance.control.addresses import MAX_ABS_PARAM

    def bound(value: InputValue | None, pick: Callable[[tuple[float, ...]],
              float], fallback: float) -> float:
        if value is None:
            return fallback
        return float(pick(value)) if isinstance(value, tuple) else float(value)

    return {name: (bound(spec.minimum, min, -MAX_ABS_PARAM),
                   bound(spec.maximum, max, MAX_ABS_PARAM))
            for name, spec in inputs.items()}


def start_services(show: Show, settings: Settings, *, clock: Clock, osc: bool = True,
                   sound: bool = True, retry_sound: bool = False) -> ShowServices:
    """Start OSC (when `osc` and a port is set; in its own process unless `control` is
    "thread") and sound (when `sound` and enabled; `retry_sound`: a missing output is
    retried instead of refused, for a kiosk)."""
    services = ShowServices(show=show, commands=CommandQueue(), clock=clock)
    try:
        if osc and (settings.osc_port or settings.osc_tcp_port):
            from performance.control.sender import OscSender

            _start_control(services, settings, clock)
            services.sender = OscSender(clock=clock)
            services.sender.start()
        if sound and settings.sound:
            services.audio, services.output = _start_sound(settings, retry=retry_sound)
    except BaseException:
        services.close()
        raise
    return services


def _start_control(services: ShowServices, settings: Settings, clock: Clock) -> None:
    """OSC control in its own process (default): in the render's process the socket threads
    wait for the interpreter lock behind each software-rendered frame (`/thump` took 1.2 s
    median at 1280x720; see bench/bench_osc.py for the figures). Either way it keeps the
    sequencer's one GO-interval rule on the show's clock (see control/process.py)."""
    gate = services.sequencer.go_gate if services.sequencer is not None else None
    if Isolation(settings.control) is Isolation.PROCESS:
        from performance.control.process import OscProcess

        process = OscProcess.from_settings(settings, go_gate=gate, clock=clock)
        services.hub = services.server = process
        services.commands = process
        process.start()
        return
    from performance.control.hub import ControlHub, HubOptions
    from performance.control.server import OscServer

    hub = ControlHub(HubOptions.from_settings(settings), clock=clock, go_gate=gate)
    services.hub = services.commands = hub
    services.server = OscServer.from_settings(hub, settings)
    services.server.start()


def _start_sound(settings: Settings, *, retry: bool = False) -> tuple[AudioEngine, AudioProcess]:
    """The sound runs in its own process: in the render's process the audio callback waits
    for the interpreter lock behind rendering and inference (measured: a whole block period
    on average, against a quarter out of process; see docs/audio.md)."""
    from performance.audio.engine import AudioEngine
    from performance.audio.process import AudioProcess

    device: int | str | None = settings.audio_device or None
    if isinstance(device, str) and device.isdigit():
        device = int(device)
    latency: str | float = settings.audio_latency
    with contextlib.suppress(ValueError):  # "low"/"high" stay names, "0.05" becomes seconds
        latency = float(latency)
    output = AudioProcess(device=device, blocksize=settings.audio_block, latency=latency)
    output.start(retry=retry)  # False: no device, the show runs silent and the output says why
    return AudioEngine(output), output
