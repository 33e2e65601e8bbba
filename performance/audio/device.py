"""The sound card: listing outputs, finding one by number or name, playing a synth live.

The only module that imports `sounddevice` (PortAudio), and only when first needed. The
stream callback reads the newest `AudioParams` (published by a single reference swap, no
lock), renders into PortAudio's buffer with `Synth.render_into` and counts: callbacks,
underflows (PortAudio's status flags), late callbacks (slower than the block period),
errors, and its own time (`core.clock.work_seconds`). It never logs, locks or touches files, and
allocates no arrays (the few Python floats of the arithmetic aside). When no device can be
opened the show goes on silent: `start()` returns False and logs that once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from performance.audio.params import AudioParams
from performance.audio.synth import Synth
from performance.config import DEFAULTS
from performance.core.clock import work_seconds
from performance.core.errors import EssenceError
from performance.core.stats import percentile

log = logging.getLogger(__name__)

TIMES_KEPT = 4096  # the callback durations kept for percentiles


class AudioDeviceError(EssenceError):
    """An audio output named in the settings does not exist (lists the ones that do)."""


class AudioUnavailable(EssenceError):
    """PortAudio or any output device is missing: the show runs silent."""


@dataclass(frozen=True)
class AudioDeviceInfo:
    """An output device as PortAudio lists it."""

    index: int
    name: str
    hostapi: str
    channels: int
    default_samplerate: float
    is_default: bool = False

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """One line for listings and error messages."""
        mark = " (default)" if self.is_default else ""
        return (f"{self.index}: {self.name} [{self.hostapi}] {self.channels} ch, "
                f"{self.default_samplerate:.0f} Hz{mark}")


def _sounddevice() -> ModuleType:
    """sounddevice, imported on first use (it loads PortAudio, which may be absent)."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise AudioUnavailable(f"PortAudio is not available ({exc})") from exc
    return sounddevice


def list_audio_devices() -> list[AudioDeviceInfo]:
    """Every device that can play sound (output channels > 0), in PortAudio's order."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_out = sd.default.device[1]
    except sd.PortAudioError as exc:
        raise AudioUnavailable(f"PortAudio cannot list devices ({exc})") from exc
    found = []
    for dev in devices:
        if int(dev["max_output_channels"]) <= 0:
            continue
        found.append(AudioDeviceInfo(
            index=int(dev["index"]), name=str(dev["name"]),
            hostapi=str(hostapis[int(dev["hostapi"])]["name"]),
            channels=int(dev["max_output_channels"]),
            default_samplerate=float(dev["default_samplerate"]),
            is_default=int(dev["index"]) == default_out,
        ))
    return found


def _listing(devices: list[AudioDeviceInfo]) -> str:
    if not devices:
        return "no audio output devices are available"
    return "available outputs: " + "; ".join(d.describe() for d in devices)


def find_output_device(spec: int | str | None) -> AudioDeviceInfo:
    """The output for `spec`: None/"" = the default, a number, or a name fragment (any case).

    Raises AudioDeviceError naming `spec` and listing the outputs when nothing (or more than
    one device, for a fragment) matches, and AudioUnavailable when there is no output at all
    and no particular one was asked for.
    """
    devices = list_audio_devices()
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        for dev in devices:
            if dev.is_default:
                return dev
        if devices:
            return devices[0]
        raise AudioUnavailable("no audio output device")
    text = str(spec).strip()
    if isinstance(spec, int) or text.isdigit():
        for dev in devices:
            if dev.index == int(text):
                return dev
        raise AudioDeviceError(f"audio device {text}: no output with that number "
                               f"({_listing(devices)})")
    fragment = text.lower()
    exact = [d for d in devices if d.name.lower() == fragment]
    matches = exact or [d for d in devices if fragment in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioDeviceError(f"audio device '{text}': no output's name contains it "
                               f"({_listing(devices)})")
    raise AudioDeviceError(f"audio device '{text}' is ambiguous: it matches "
                           + "; ".join(d.describe() for d in matches)
                           + " (give the number or more of the name)")


@dataclass(frozen=True)
class AudioStats:
    """What the callback counted (times in seconds; shares of the block period)."""

    callbacks: int
    underflows: int
    late: int
    errors: int
    callback_time_mean: float
    callback_time_max: float
    callback_time_p99: float
    block_period: float

    @property
    def share_mean(self) -> float:
        """Mean callback time as a share of the block period (goal < 0.25)."""
        return self.callback_time_mean / self.block_period

    @property
    def share_max(self) -> float:
        """Slowest callback as a share of the block period (> 1 would underflow a card)."""
        return self.callback_time_max / self.block_period

    @property
    def share_p99(self) -> float:
        """The 99th percentile callback time as a share of the block period."""
        return self.callback_time_p99 / self.block_period


class AudioOutput:
    """Plays `synth` on an output device; `publish(params)` steers it from the main loop.

    `device`: None (default output), a number or a name fragment; `latency`: "low", "high"
    or seconds. A device spec that names nothing raises AudioDeviceError (a configuration
    error, found at start); when there is no device or it cannot be opened, `start()`
    returns False, logs "no audio device: running silent (<reason>)" once (not at all with
    `log_silent=False`, for an owner that reports it itself), and `silent` and `reason` say
    so.
    """

    def __init__(self, synth: Synth, *, device: int | str | None = None,
                 blocksize: int = DEFAULTS.audio_block,
                 latency: str | float = DEFAULTS.audio_latency, sample_rate: int | None = None,
                 log_silent: bool = True) -> None:
        if sample_rate is not None and int(sample_rate) != synth.sample_rate:
            raise ValueError(f"sample_rate {sample_rate} differs from the synth's "
                             f"{synth.sample_rate}")
        if blocksize <= 0:
            raise ValueError(f"blocksize must be positive (got {blocksize})")
        self.synth = synth
        self.device_spec = device
        self.blocksize = int(blocksize)
        self.latency = latency
        self.device: AudioDeviceInfo | None = None
        self.reason = "not started"
        self.silent = True
        self._stream: Any = None
        self._warned = not log_silent
        self._params = AudioParams()
        self._period = self.blocksize / synth.sample_rate
        self._times = np.zeros(TIMES_KEPT)
        self.callbacks = 0
        self.underflows = 0
        self.late = 0
        self.errors = 0
        self.last_error: BaseException | None = None
        self.callback_time_total = 0.0
        self.callback_time_max = 0.0

    # -- main-thread side --------------------------------------------------------------------

    def publish(self, params: AudioParams) -> None:
        """Hand the callback a new snapshot (one reference swap; the callback never waits)."""
        self._params = params

    @property
    def params(self) -> AudioParams:
        """The snapshot the callback reads now."""
        return self._params

    @property
    def running(self) -> bool:
        """Whether the stream is open and playing."""
        return self._stream is not None and bool(self._stream.active)

    @property
    def callback_time_mean(self) -> float:
        """Mean seconds per callback so far."""
        return self.callback_time_total / self.callbacks if self.callbacks else 0.0

    def stats(self) -> AudioStats:
        """A consistent-enough copy of the counters (read while the stream runs)."""
        kept = min(self.callbacks, TIMES_KEPT)
        p99 = percentile(sorted(self._times[:kept].tolist()), 99)
        return AudioStats(self.callbacks, self.underflows, self.late, self.errors,
                          self.callback_time_mean, self.callback_time_max, p99, self._period)

    def start(self) -> bool:
        """Open and start the stream; False (silent, logged once) when no device opens."""
        if self.running:
            return True
        try:
            sd = _sounddevice()
            self.device = find_output_device(self.device_spec)
            channels = min(self.synth.channels, self.device.channels)
            stream = sd.OutputStream(
                samplerate=self.synth.sample_rate, blocksize=self.blocksize,
                device=self.device.index, channels=channels, dtype="float32",
                latency=self.latency, callback=self._callback,
            )
            stream.start()
        except AudioDeviceError:
            raise
        except AudioUnavailable as exc:
            return self._go_silent(str(exc))
        except Exception as exc:  # PortAudioError, ValueError, OSError: cannot open
            name = self.device.name if self.device else str(self.device_spec)
            return self._go_silent(f"{name}: {exc}")
        self._stream = stream
        self.silent = False
        self.reason = f"playing on {self.device.describe()}"
        log.info("sound: %s, block %d, latency %.1f ms", self.reason, self.blocksize,
                 1000.0 * float(stream.latency))
        return True

    def stop(self) -> None:
        """Stop and close the stream (safe to call when it never started)."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
            stream.close()
        except Exception as exc:  # a device unplugged mid-show: nothing left to close
            log.warning("sound: closing the stream failed (%s)", exc)
        self.silent = True
        self.reason = "stopped"

    def __enter__(self) -> AudioOutput:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _go_silent(self, reason: str) -> bool:
        self.silent = True
        self.reason = reason
        if not self._warned:
            log.warning("no audio device: running silent (%s)", reason)
            self._warned = True
        return False

    # -- audio-thread side -------------------------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        start = work_seconds()
        if status.output_underflow:
            self.underflows += 1
        try:
            self.synth.render_into(outdata, self._params)
        except Exception as exc:  # never raise into PortAudio: play silence, count it
            outdata.fill(0.0)
            self.errors += 1
            self.last_error = exc
        elapsed = work_seconds() - start
        self._times[self.callbacks % TIMES_KEPT] = elapsed
        self.callbacks += 1
        self.callback_time_total += elapsed
        if elapsed > self.callback_time_max:
            self.callback_time_max = elapsed
        if elapsed > self._period:
            self.late += 1
