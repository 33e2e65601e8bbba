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
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

from performance.audio.device import AudioDeviceError, AudioStats
from performance.audio.palettes import PALETTES
from performance.audio.params import AudioParams
from performance.config import DEFAULTS, SAMPLE_RATE

log = logging.getLogger(__name__)

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
# shared layout: [slot index, version, slot 0 (_FIELDS), slot 1 (_FIELDS), stats]
_STATS = 2 + 2 * _FIELDS


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


def _child(shared: SharedBlock, conn: Connection, stop: Any, options: _ChildOptions) -> None:
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
        time.sleep(0.005)
        if shared[1] != seen:
            seen = shared[1]
            base = 2 + int(shared[0]) * _FIELDS
            output.publish(_decode(shared[base:base + _FIELDS]))
        tick += 1
        if tick % 20:
            continue
        _write_stats(shared, output.stats())  # every 0.1 s: the percentile is not free
    output.stop()
    _write_stats(shared, output.stats())


class AudioProcess:
    """`AudioOutput`'s interface (start, stop, publish, stats, silent, reason), out of process."""

    def __init__(self, *, device: int | str | None = None,
                 blocksize: int = DEFAULTS.audio_block,
                 latency: str | float = DEFAULTS.audio_latency, sample_rate: int = SAMPLE_RATE,
                 channels: int = 2, seed: int = 0, start_timeout: float = 20.0) -> None:
        self._period = blocksize / sample_rate
        self._options = _ChildOptions(device, blocksize, latency, sample_rate, channels, seed)
        self._ctx = mp.get_context("spawn")
        self._shared: SharedBlock = self._ctx.RawArray(ctypes.c_double, _STATS + _STAT_FIELDS)
        # a flag without locks: a child killed while waiting on a multiprocessing Event would
        # leave the parent's `set` blocked for ever
        self._stop = self._ctx.RawValue(ctypes.c_bool, False)
        self._proc: BaseProcess | None = None
        self._timeout = start_timeout
        self._warned = False
        self.silent = True
        self.reason = "not started"
        self.publish(AudioParams())

    def publish(self, params: AudioParams) -> None:
        """Write the snapshot into the idle slot, then flip to it (single writer)."""
        slot = 1 - int(self._shared[0])
        base = 2 + slot * _FIELDS
        self._shared[base:base + _FIELDS] = list(_flatten(params))  # list(): typed for ctypes
        self._shared[0] = float(slot)
        self._shared[1] += 1.0

    def start(self) -> bool:
        """Start the child and its stream; False (silent, logged once) when none opens."""
        reader, writer = self._ctx.Pipe(duplex=False)
        self._stop.value = False
        self._proc = self._ctx.Process(target=_child, name="essence-audio", daemon=True,
                                       args=(self._shared, writer, self._stop, self._options))
        self._proc.start()
        writer.close()
        kind, text = (StartReport.SILENT, "the audio process did not answer")
        if reader.poll(self._timeout):
            try:
                kind, text = reader.recv()
            except EOFError:
                kind, text = (StartReport.SILENT, "the audio process ended at start")
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
        return not self.silent

    def stats(self) -> AudioStats:
        """The child's counters as last written (every 0.1 s, and at stop)."""
        return _read_stats(self._shared, self._period)

    def stop(self) -> None:
        """Stop the stream and the child (safe when it never started)."""
        if self._proc is None:
            return
        self._stop.value = True
        self._proc.join(5.0)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(2.0)
        self._proc = None
        if not self.silent:
            self.silent, self.reason = True, "stopped"
