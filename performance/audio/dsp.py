"""Small DSP building blocks for the synth: glides, ramps, the soft clipper, sample tables.

Everything that runs per block writes into preallocated arrays (`out=`), so the audio
callback allocates no arrays. Tables (looping noise, grains, clicks) are made once, at
start, with FFT shaping: a circular spectrum gives a noise loop without a seam.
"""

from __future__ import annotations

import math

import numpy as np


class Glide:
    """A block-rate one-pole glide with a time constant, exact for any block length (dt).

    `step(target, dt)` returns (value at block start, value at block end); the synth ramps
    linearly between the two inside the block, so a parameter moves per sample with no
    zipper steps. Within `snap` of the target the value lands exactly on it (so a fade to
    zero reaches true silence).
    """

    def __init__(self, value: float, time_constant: float, snap: float = 1e-4) -> None:
        self.value = float(value)
        self.time_constant = float(time_constant)
        self.snap = snap

    def step(self, target: float, dt: float) -> tuple[float, float]:
        """Advance by `dt` seconds toward `target`; (start, end) of this block."""
        start = self.value
        if self.time_constant <= 0.0:
            self.value = target
        else:
            decay = math.exp(-dt / self.time_constant)
            self.value = target + (start - target) * decay
        if abs(self.value - target) < self.snap:
            self.value = target
        return start, self.value


def fill_ramp(out: np.ndarray, unit: np.ndarray, start: float, end: float) -> None:
    """out[i] = start + (end - start) * unit[i] (unit runs from 1/n to 1 over the block)."""
    np.multiply(unit, end - start, out=out)
    np.add(out, start, out=out)


def soft_clip(x: np.ndarray, tmp: np.ndarray, knee: float, ceiling: float) -> None:
    """In place: linear below `knee`, a tanh knee above it, never beyond `ceiling`.

    y = sign(x) * (min(|x|, knee) + (ceiling - knee) * tanh(max(|x| - knee, 0) / (ceiling -
    knee))): continuous with a continuous slope, and |y| < ceiling for every finite x.
    """
    width = ceiling - knee
    np.abs(x, out=tmp)
    np.subtract(tmp, knee, out=tmp)
    np.maximum(tmp, 0.0, out=tmp)
    np.multiply(tmp, 1.0 / width, out=tmp)
    np.tanh(tmp, out=tmp)
    np.multiply(tmp, width, out=tmp)
    # x <- sign(x) * min(|x|, knee) + sign(x) * tmp
    np.clip(x, -knee, knee, out=x)
    np.copysign(tmp, x, out=tmp)
    np.add(x, tmp, out=x)


def _shape(rng: np.random.Generator, n: int, rate: int, curve: str, f1: float,
           f2: float = 0.0) -> np.ndarray:
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(freqs, 1.0)
    if curve == "dark":  # pink tilt and a low-pass
        gain = f ** -0.5 / np.sqrt(1.0 + (f / f1) ** 4)
    elif curve == "bright":  # a high-pass with a gentle tilt down
        gain = (f / f1) ** 2 / (1.0 + (f / f1) ** 2) / np.sqrt(1.0 + (f / 12000.0) ** 2)
    else:  # band-pass around f1 with bandwidth f2
        gain = np.exp(-0.5 * ((f - f1) / f2) ** 2)
    gain[0] = 0.0
    signal = np.fft.irfft(spectrum * gain, n)
    rms = float(np.sqrt(np.mean(signal**2)))
    return signal / rms if rms > 0 else signal


def noise_loop(rng: np.random.Generator, n: int, rate: int, curve: str) -> np.ndarray:
    """A seamless loop of `n` samples of coloured noise ("dark" or "bright"), RMS 1."""
    cutoff = 900.0 if curve == "dark" else 2500.0
    return _shape(rng, n, rate, curve, cutoff)


def grain_table(rng: np.random.Generator, freq: float, seconds: float, rate: int,
                noise_mix: float) -> np.ndarray:
    """A Hann-windowed grain: a sine at `freq` mixed with noise banded around it; peak 1."""
    n = max(16, int(seconds * rate))
    t = np.arange(n) / rate
    tone = np.sin(2.0 * math.pi * freq * t + rng.uniform(0.0, 2.0 * math.pi))
    band = _shape(rng, n, rate, "band", freq, max(freq / 6.0, 30.0))
    band /= max(float(np.max(np.abs(band))), 1e-9)
    grain = ((1.0 - noise_mix) * tone + noise_mix * band) * np.hanning(n + 2)[1:-1]
    return grain / max(float(np.max(np.abs(grain))), 1e-9)


def click_table(rng: np.random.Generator, seconds: float, rate: int,
                centre_hz: float) -> np.ndarray:
    """An electrical crackle: a band-passed noise burst with a fast decay; peak 1.

    It opens with a 0.2 ms fade-in so the onset is sharp but not a full-scale step.
    """
    n = max(32, int(seconds * rate))
    burst = _shape(rng, n, rate, "band", centre_hz, centre_hz * 0.6)
    decay = np.exp(-np.arange(n) / (rate * seconds / 4.0))
    fade = np.minimum(1.0, np.arange(n) / max(1.0, 0.0002 * rate))
    click = burst * decay * fade
    click[-8:] *= np.linspace(1.0, 0.0, 8)
    return click / max(float(np.max(np.abs(click))), 1e-9)
