"""The live sound in its own process, so the audio callback never waits for the render's GIL.

In one Python process the PortAudio callback needs the GIL, and a render loop holding it
through a long OpenGL call (or a MediaPipe call that does not release it) delays the
callback past its deadline: measured with bench/bench_audio.py, in-process callbacks took a
mean 1.4 block periods under the render + inference load. `AudioProcess` runs `AudioOutput`
in a spawned child; `publish(params)` writes the snapshot into shared memory (double
buffered: the writer fills the idle slot, then flips the index), a thread in the child
turns it back into an `AudioParams` every few milliseconds, and the callback there swaps
references as usual. The counters come back through the same shared memory.

Both blocks are laid out from the dataclasses themselves (`_flatten`: `AudioParams` field by
field, the room's `CrowdReading` in line; `AudioStats` likewise), so a new field travels
without touching this module.

The child is watched on every `publish` (once a frame): when it ends (killed, a crash in
PortAudio or the driver) or its loop stops beating for `hang_s`, that is reported once per
kind, `lost` is true (health says "sound lost") and a new child is started `restart_s`
later (doubling up to `RESTART_MAX_S`, the rule of core.restarts), without the picture
waiting: the replacement's stream opens in the background and the sound comes back when
it reports. `stop()` never waits on the child for more than `STOP_S` (then it is killed),
whatever state it is in. The child dies with the render process (core.orphans).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

from performance.audio.device import AudioDeviceError, AudioStats
from performance.audio.palettes import PALETTES
from performance.audio.params import AudioParams
from performance.config import DEFAULTS, SAMPLE_RATE
from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent, parent_alive
from performance.core.restarts import RestartSchedule, Supervised, Trouble, life_trouble

log = logging.getLogger(__name__)

RESTART_S = 0.5  # first wait before a replacement child starts (doubles, up to RESTART_MAX_S)
RESTART_MAX_S = 10.0
HANG_S = 5.0  # a child whose loop has not beaten for this long is replaced
STOP_S = 1.0  # `stop()`: how long the child may take to close its stream before it is killed
TICK_S = 0.005  # the child's loop: snapshot in, heartbeat; stats and parent every 20 ticks

SharedBlock = ctypes.Array[ctypes.c_double]
"""The shared memory between the two processes (doubles)."""
_PALETTES = list(PALETTES)


def _flatten(value: object) -> list[float]:
    """A dataclass value as floats, field by field in declaration order: nested dataclasses
    and tuples in line, bools as 0/1, a string (the palette) as its index in PALETTES."""
    if is_dataclass(value) and not isinstance(value, type):
        return [x for f in fields(value) for x in _flatten(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [float(v) for v in value]
    if isinstance(value, str):
        return [float(_PALETTES.index(value)) if value in _PALETTES else 0.0]
    if isinstance(value, bool | int | float):
        return [float(value)]
    raise TypeError(f"no shared-memory encoding for {value!r}")


def _unflatten(template: object, flat: Sequence[float], at: int = 0) -> tuple[object, int]:
    """The inverse of `_flatten`: a value shaped like `template` read from `flat` at `at`,
    and the position after it."""
    if is_dataclass(template) and not isinstance(template, type):
        values: dict[str, object] = {}
        for f in fields(template):
            values[f.name], at = _unflatten(getattr(template, f.name), flat, at)
        return type(template)(**values), at
    if isinstance(template, tuple):
        return tuple(float(v) for v in flat[at:at + len(template)]), at + len(template)
    v = flat[at]
    if isinstance(template, bool):
        return v > 0.5, at + 1
    if isinstance(template, int):
        return int(v), at + 1
    if isinstance(template, str):
        return _PALETTES[int(v)], at + 1
    return float(v), at + 1


_PARAMS = AudioParams()  # the shape of one snapshot
_STATS_SHAPE = AudioStats(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0)
_FIELDS = len(_flatten(_PARAMS))
_STAT_FIELDS = len(_flatten(_STATS_SHAPE))
# shared layout: [slot index, version, slot 0 (_FIELDS), slot 1 (_FIELDS), stats, heartbeat]
_STATS = 2 + 2 * _FIELDS
_BEAT = _STATS + _STAT_FIELDS


def _decode(v: Sequence[float]) -> AudioParams:
    """One snapshot read back from its slot."""
    return cast(AudioParams, _unflatten(_PARAMS, v)[0])


def _write_stats(shared: SharedBlock, s: AudioStats) -> None:
    """The child's counters into the shared stats block (field order of AudioStats)."""
    shared[_STATS:_STATS + _STAT_FIELDS] = list(_flatten(s))  # list(): typed for ctypes


def _read_stats(shared: SharedBlock, period: float) -> AudioStats:
    """The counters from the stats block (`period` until the child has written any)."""
    stats = cast(AudioStats, _unflatten(_STATS_SHAPE, shared[_STATS:_STATS + _STAT_FIELDS])[0])
    return replace(stats, block_period=stats.block_period or period)


@dataclass(frozen=True)
class _ChildOptions:
    """How the child opens its synth and stream."""

    device: int | str | None
    blocksize: int
    latency: str | float
    sample_rate: int
    channels: int
    seed: int


class StartReport(StrEnum):
    """What the audio process reports once its stream is (or is not) open."""

    STARTED = "started"  # the stream plays
    SILENT = "silent"  # no device opened: the show runs silent
    ERROR = "error"  # the device named in the settings could not be used


def _child(shared: SharedBlock, conn: Connection, stop: Any, options: _ChildOptions,
           parent_pid: int) -> None:
    die_with_parent(parent_pid, "essence-audio")  # first: a killed render process ends it
    leave_stop_signals_to_parent()
    from performance.audio.device import AudioOutput
    from performance.audio.synth import Synth

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    synth = Synth(options.sample_rate, options.channels, options.seed)
    output = AudioOutput(synth, device=options.device, blocksize=options.blocksize,
                         latency=options.latency, log_silent=False)  # the parent logs it
    try:
        started = output.start()
    except AudioDeviceError as exc:
        conn.send((StartReport.ERROR, str(exc)))
        return
    conn.send((StartReport.STARTED if started else StartReport.SILENT, output.reason))
    if not started:
        return
    seen, tick = -1.0, 0
    while not stop.value:
        time.sleep(TICK_S)
        shared[_BEAT] += 1.0
        if shared[1] != seen:
            seen = shared[1]
            base = 2 + int(shared[0]) * _FIELDS
            output.publish(_decode(shared[base:base + _FIELDS]))
        tick += 1
        if tick % 20:
            continue
        if not parent_alive(parent_pid):  # where the kernel cannot end orphans for us
            break
        _write_stats(shared, output.stats())  # every 0.1 s: the percentile is not free
    output.stop()
    _write_stats(shared, output.stats())


class AudioProcess(Supervised):
    """`AudioOutput`'s interface (start, stop, publish, stats, silent, reason), out of
    process, watched and replaced (see the module). `lost`: the child is gone and a
    replacement pending or starting; `restarts` and `trouble` as the other watched
    processes have them. `clock` is the time the back-off is measured on."""

    def __init__(self, *, device: int | str | None = None,
                 blocksize: int = DEFAULTS.audio_block,
                 latency: str | float = DEFAULTS.audio_latency, sample_rate: int = SAMPLE_RATE,
                 channels: int = 2, seed: int = 0, start_timeout: float = 20.0,
                 restart_s: float = RESTART_S, hang_s: float = HANG_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._period = blocksize / sample_rate
        self._options = _ChildOptions(device, blocksize, latency, sample_rate, channels, seed)
        self._ctx = mp.get_context("spawn")
        self._shared: SharedBlock = self._ctx.RawArray(ctypes.c_double, _BEAT + 1)
        # a flag without locks: a child killed while waiting on a multiprocessing Event would
        # leave the parent's `set` blocked for ever
        self._stop = self._ctx.RawValue(ctypes.c_bool, False)
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None  # the child's start report comes this way
        self._timeout = start_timeout
        self._hang_s = hang_s
        self._clock = clock
        self._schedule = RestartSchedule("sound process", restart_s, RESTART_MAX_S, log)
        self._ready = False  # the running child reported its stream open
        self._watching = False  # between a start that played and `stop()`
        self._spawned_at: float | None = None
        self._beat_seen = (-1.0, 0.0)  # (heartbeat, when it was first seen)
        self._warned = False
        self.silent = True
        self.reason = "not started"
        self.publish(AudioParams())

    @property
    def pid(self) -> int | None:
        """The running child's process id (None between children)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """Whether a child is alive now."""
        return self._proc is not None and self._proc.is_alive()

    @property
    def lost(self) -> bool:
        """The sound played and its process is gone: a replacement is pending or starting."""
        return self._schedule.message is not None

    def publish(self, params: AudioParams) -> None:
        """Write the snapshot into the idle slot, then flip to it (single writer); then look
        at the child (never waits)."""
        slot = 1 - int(self._shared[0])
        base = 2 + slot * _FIELDS
        self._shared[base:base + _FIELDS] = list(_flatten(params))  # list(): typed for ctypes
        self._shared[0] = float(slot)
        self._shared[1] += 1.0
        if self._watching:
            self.watch()

    def start(self, *, retry: bool = False) -> bool:
        """Start the child and its stream; False (silent, logged once) when none opens.
        `retry` (a kiosk): a missing or failing device is not final either: the output
        keeps trying with the back-off (a configured device that is missing raises
        AudioDeviceError otherwise)."""
        if self.running:
            return not self.silent
        self._schedule.cancel()
        self._spawn()
        conn = self._conn
        assert conn is not None
        kind, text = (StartReport.SILENT, "the audio process did not answer")
        if conn.poll(self._timeout):
            try:
                kind, text = conn.recv()
            except EOFError:
                kind, text = (StartReport.SILENT, "the audio process ended at start")
        if retry and kind is not StartReport.STARTED:
            self._watching = True
            self._trouble(Trouble.FAILED, text, self._clock())
            return False
        if kind is StartReport.ERROR:
            self.stop()
            raise AudioDeviceError(text)
        self.reason = text
        self.silent = kind is not StartReport.STARTED
        if self.silent:
            self.stop()
            if not self._warned:
                log.warning("no audio device: running silent (%s)", text)
                self._warned = True
        else:
            self._ready = self._watching = True
            self._schedule.running("playing")
        return not self.silent

    def stats(self) -> AudioStats:
        """The child's counters as last written (every 0.1 s, and at stop)."""
        return _read_stats(self._shared, self._period)

    def stop(self) -> None:
        """Stop the stream and the child (safe when it never started, and whatever state
        the child is in: one that does not end in `STOP_S` is killed)."""
        self._watching = False
        self._schedule.cancel()
        self._end(STOP_S)
        if not self.silent:
            self.silent, self.reason = True, "stopped"

    def watch(self, now: float | None = None) -> None:
        """Once a frame (`publish` calls it): a replacement's start report; an ended or
        hung child is reported and replaced after the back-off (see the module)."""
        now = self._clock() if now is None else now
        if self._replacing(now) or (proc := self._proc) is None:
            return
        if not self._ready:
            self._take_report(now)
            if self._proc is not proc:  # it failed and was retired
                return
        self._spawned_at = now if self._spawned_at is None else self._spawned_at
        trouble = life_trouble(proc.is_alive(), proc.exitcode, self._ready,
                               now - self._spawned_at, self._timeout,
                               "its stream did not open")
        if trouble is not None:
            self._trouble(*trouble, now)
            return
        if not self._ready:
            return
        beat = float(self._shared[_BEAT])
        if beat != self._beat_seen[0]:
            self._beat_seen = (beat, now)
        elif now - self._beat_seen[1] > self._hang_s:
            self._trouble(Trouble.HUNG, f"no heartbeat for {self._hang_s:g} s", now)

    # -- the child's life -------------------------------------------------------------

    def _spawn(self) -> None:
        reader, writer = self._ctx.Pipe(duplex=False)
        self._stop.value = False
        self._shared[_BEAT] = 0.0
        proc = self._ctx.Process(target=_child, name="essence-audio", daemon=True,
                                 args=(self._shared, writer, self._stop, self._options,
                                       os.getpid()))
        try:
            proc.start()
        except BaseException:
            reader.close()
            raise
        finally:
            writer.close()
        self._proc, self._conn = proc, reader
        self._ready = False
        self._spawned_at = None
        self._beat_seen = (-1.0, 0.0)

    def _take_report(self, now: float) -> None:
        """A replacement's start report, if it came (never waits)."""
        conn = self._conn
        try:
            if conn is None or not conn.poll(0):
                return
            kind, text = conn.recv()
        except (EOFError, OSError):
            return  # it ended: its exit code tells
        if kind is StartReport.STARTED:
            self._ready, self.silent = True, False
            self.reason = f"{text} (restarts: {self.restarts})"
            self._schedule.running("playing")
        else:
            self._trouble(Trouble.FAILED, f"the stream did not open again: {text}", now)

    def _trouble(self, kind: Trouble, detail: str, now: float) -> None:
        """Replace the child: reported once per kind, killed, restarted after the back-off."""
        self.reason = self._schedule.trouble(kind, detail, now)
        self.silent = True
        self._end(0.0)

    def _end(self, grace: float) -> None:
        """The child gone: asked to stop and given `grace` seconds, then killed."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if grace > 0 and proc.is_alive():
                self._stop.value = True
                proc.join(grace)
            if proc.is_alive():
                proc.kill()  # SIGKILL: also ends one that is stopped or stuck in a driver
                proc.join(1.0)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._ready = False
