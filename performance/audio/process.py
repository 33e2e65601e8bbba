"""The live sound in its own process, so the audio callback never waits for the render's GIL.

In one Python process the PortAudio callback needs the GIL, and a render loop holding it
through a long OpenGL call (or a MediaPipe call that does not release it) delays the
callback past its deadline: measured with tools/bench_audio.py, in-process callbacks took a
mean 1.4 block periods under the render + inference load. `AudioProcess` runs `AudioOutput`
in a spawned child; `publish(params)` writes the snapshot into shared memory (double
buffered: the writer fills the idle slot, then flips the index), a thread in the child
turns it back into an `AudioParams` every few milliseconds, and the callback there swaps
references as usual. The counters come back through the same shared memory.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from dataclasses import astuple, fields
from typing import Any

from performance.audio.device import AudioDeviceError, AudioStats
from performance.audio.palettes import PALETTES
from performance.audio.params import AudioParams

log = logging.getLogger(__name__)

_FIELDS = 10  # valence arousal chaos face_count presence master level enabled palette act
_PALETTES = list(PALETTES)
_STAT_FIELDS = len(fields(AudioStats))  # 8
# shared layout: [slot index, version, slot 0 (10), slot 1 (10), stats (8)]
_STATS = 2 + 2 * _FIELDS


def _encode(p: AudioParams) -> list[float]:
    palette = _PALETTES.index(p.palette) if p.palette in _PALETTES else 0
    return [p.valence, p.arousal, p.chaos, p.face_count, p.presence, p.master, p.level,
            1.0 if p.enabled else 0.0, float(palette), float(p.act)]


def _decode(v: Any) -> AudioParams:
    return AudioParams(valence=v[0], arousal=v[1], chaos=v[2], face_count=v[3],
                       presence=v[4], master=v[5], level=v[6], enabled=v[7] > 0.5,
                       palette=_PALETTES[int(v[8])], act=int(v[9]))


def _write_stats(shared: Any, s: AudioStats) -> None:
    """The child's counters into the shared stats block (field order of AudioStats)."""
    shared[_STATS:_STATS + _STAT_FIELDS] = [float(v) for v in astuple(s)]


def _read_stats(shared: Any, period: float) -> AudioStats:
    v = shared[_STATS:_STATS + _STAT_FIELDS]
    return AudioStats(int(v[0]), int(v[1]), int(v[2]), int(v[3]), v[4], v[5], v[6],
                      v[7] or period)


def _child(shared: Any, conn: Any, stop: Any, options: dict[str, Any]) -> None:
    from performance.audio.device import AudioOutput
    from performance.audio.synth import Synth

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    synth = Synth(options["sample_rate"], options["channels"], options["seed"])
    output = AudioOutput(synth, device=options["device"], blocksize=options["blocksize"],
                         latency=options["latency"], log_silent=False)  # the parent logs it
    try:
        started = output.start()
    except AudioDeviceError as exc:
        conn.send(("error", str(exc)))
        return
    conn.send(("started" if started else "silent", output.reason))
    if not started:
        return
    seen, tick = -1.0, 0
    while not stop.wait(0.005):
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

    def __init__(self, *, device: int | str | None = None, blocksize: int = 512,
                 latency: str | float = "low", sample_rate: int = 48000, channels: int = 2,
                 seed: int = 0, start_timeout: float = 20.0) -> None:
        self._period = blocksize / sample_rate
        self._options: dict[str, Any] = dict(device=device, blocksize=blocksize, latency=latency,
                             sample_rate=sample_rate, channels=channels, seed=seed)
        self._ctx = mp.get_context("spawn")
        self._shared: Any = self._ctx.RawArray("d", _STATS + _STAT_FIELDS)
        self._stop = self._ctx.Event()
        self._proc: Any = None
        self._timeout = start_timeout
        self._warned = False
        self.silent = True
        self.reason = "not started"
        self.publish(AudioParams())

    def publish(self, params: AudioParams) -> None:
        """Write the snapshot into the idle slot, then flip to it (single writer)."""
        slot = 1 - int(self._shared[0])
        base = 2 + slot * _FIELDS
        self._shared[base:base + _FIELDS] = _encode(params)
        self._shared[0] = float(slot)
        self._shared[1] += 1.0

    def start(self) -> bool:
        """Start the child and its stream; False (silent, logged once) when none opens."""
        reader, writer = self._ctx.Pipe(duplex=False)
        self._stop.clear()
        self._proc = self._ctx.Process(target=_child, name="essence-audio", daemon=True,
                                       args=(self._shared, writer, self._stop, self._options))
        self._proc.start()
        writer.close()
        kind, text = ("silent", "the audio process did not answer")
        if reader.poll(self._timeout):
            try:
                kind, text = reader.recv()
            except EOFError:
                kind, text = ("silent", "the audio process ended at start")
        if kind == "error":
            self.stop()
            raise AudioDeviceError(text)
        self.reason = text
        self.silent = kind != "started"
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
        self._stop.set()
        self._proc.join(5.0)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(2.0)
        self._proc = None
        if not self.silent:
            self.silent, self.reason = True, "stopped"
