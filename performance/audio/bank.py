"""Additive partial bank of one palette: the drone voicings, the Essence hum and the pulse tone.

All sustained sound of a palette is a sum of fixed-frequency partials. Per block the synth
sets one amplitude per partial (for the block's end); the bank ramps each partial linearly
from its previous amplitude, which is done exactly with one matrix product:
`[L0, R0, dL, dR, P0, dP] @ sin(phases)`, then `L = L0 + ramp * dL` etc. No array is
allocated per block.
"""

from __future__ import annotations

import math

import numpy as np

from performance.audio.palettes import Palette

DRONE_HARMONICS = 6
HUM_HARMONICS = 16
PULSE_HARMONICS = 4
MAX_PARTIAL_HZ = 7000.0

CONSONANT, TENSE, HUM, PULSE = 0, 1, 2, 3


class PartialBank:
    """The partials of one palette, their phases and per-block amplitude vectors."""

    def __init__(self, palette: Palette, sample_rate: int, max_block: int) -> None:
        self.palette = palette
        rows: list[tuple[float, float, float, int, float]] = []  # freq, amp, pan, kind, h
        limit = min(MAX_PARTIAL_HZ, 0.45 * sample_rate)
        for kind, voices in ((CONSONANT, palette.consonant), (TENSE, palette.tense)):
            total = sum(v[1] for v in voices)
            for ratio, amp, pan, detune in voices:
                f0 = palette.root_hz * ratio + detune
                for h in range(1, DRONE_HARMONICS + 1):
                    f = f0 * h**palette.stretch
                    if f < limit:
                        rows.append((f, amp / total, pan, kind, float(h)))
        for h in range(1, HUM_HARMONICS + 1):
            weight = 0.6 if h == 1 else 1.0
            pan = 0.15 if h % 2 else -0.15
            rows.append((palette.mains_hz * h, weight * palette.hum_level / 3.0, pan, HUM, h))
        pulse_hz = palette.root_hz * palette.pulse_ratio
        for h in range(1, PULSE_HARMONICS + 1):
            rows.append((pulse_hz * h, 1.0, 0.0, PULSE, float(h)))
        table = np.array(rows, dtype=np.float64)
        self.size = table.shape[0]
        self.freq: np.ndarray = table[:, 0].copy()
        self.inc: np.ndarray = np.multiply(self.freq, 2.0 * math.pi / sample_rate)
        start = np.random.default_rng(len(rows)).uniform(0.0, 2.0 * math.pi, size=self.size)
        self.phase = np.asarray(start, dtype=np.float64)
        self.base = table[:, 1].copy()
        kinds = table[:, 3]
        self.is_cons = np.equal(kinds, CONSONANT).astype(np.float64)
        self.is_tense = np.equal(kinds, TENSE).astype(np.float64)
        self.is_hum = np.equal(kinds, HUM).astype(np.float64)
        self.is_pulse = np.equal(kinds, PULSE).astype(np.float64)
        self.is_drone = self.is_cons + self.is_tense
        # harmonic number for the roll-off; the hum rolls off above its 2nd harmonic (100 Hz)
        numbers = np.where(self.is_hum > 0, np.maximum(table[:, 4] / 2.0, 1.0), table[:, 4])
        self.neg_log_h = -np.log(numbers)
        angle = (np.clip(table[:, 2], -1.0, 1.0) + 1.0) * math.pi / 4.0
        not_pulse = 1.0 - self.is_pulse
        self.gain_l = np.cos(angle) * math.sqrt(2.0) * not_pulse
        self.gain_r = np.sin(angle) * math.sqrt(2.0) * not_pulse
        self.amp_prev = np.zeros(self.size)
        self.amp_end = np.zeros(self.size)
        self._t1 = np.zeros(self.size)
        self._t2 = np.zeros(self.size)
        self._delta = np.zeros(self.size)
        self._a = np.zeros((6, self.size))
        self._sines = np.zeros(self.size * max_block)
        self._out = np.zeros(6 * max_block)
        self._index = np.arange(max_block, dtype=np.float64)
        self._incphase = np.zeros((self.size, 2))
        self._steps = np.zeros(2 * max_block)

    def update(self, consonant: float, tense: float, hum: float, pulse: float,
               slope_drone: float, slope_hum: float, slope_pulse: float) -> None:
        """Set the amplitudes for the end of the coming block (each partial ramps to them).

        consonant/tense/hum/pulse are the gains of the four groups; slopes set how fast the
        harmonics of a group fall off (amplitude of harmonic h = h ** -slope): a small slope
        is bright, a large one dark.
        """
        np.copyto(self.amp_prev, self.amp_end)
        t1, t2 = self._t1, self._t2
        np.multiply(self.is_drone, slope_drone, out=t1)
        np.multiply(self.is_hum, slope_hum, out=t2)
        np.add(t1, t2, out=t1)
        np.multiply(self.is_pulse, slope_pulse, out=t2)
        np.add(t1, t2, out=t1)
        np.multiply(t1, self.neg_log_h, out=t1)
        np.exp(t1, out=t1)  # rolloff h ** -slope
        end = self.amp_end
        np.multiply(self.is_cons, consonant, out=end)
        np.multiply(self.is_tense, tense, out=t2)
        np.add(end, t2, out=end)
        np.multiply(self.is_hum, hum, out=t2)
        np.add(end, t2, out=end)
        np.multiply(self.is_pulse, pulse, out=t2)
        np.add(end, t2, out=end)
        np.multiply(end, t1, out=end)
        np.multiply(end, self.base, out=end)

    @property
    def audible(self) -> bool:
        """Whether any partial sounds at the start or the end of the coming block."""
        return bool(self.amp_prev.any() or self.amp_end.any())

    def render(self, frames: int) -> np.ndarray:
        """Rows (L0, R0, dL, dR, P0, dP) of this block, shape (6, frames); a view to reuse."""
        a, d = self._a, self._delta
        np.subtract(self.amp_end, self.amp_prev, out=d)
        np.multiply(self.amp_prev, self.gain_l, out=a[0])
        np.multiply(self.amp_prev, self.gain_r, out=a[1])
        np.multiply(d, self.gain_l, out=a[2])
        np.multiply(d, self.gain_r, out=a[3])
        np.multiply(self.amp_prev, self.is_pulse, out=a[4])
        np.multiply(d, self.is_pulse, out=a[5])
        # phases = inc * n + phase as one (P, 2) @ (2, frames) product: a broadcast ufunc
        # would allocate iteration buffers, a matrix product into `out=` does not
        np.copyto(self._incphase[:, 0], self.inc)
        np.copyto(self._incphase[:, 1], self.phase)
        steps = self._steps[: 2 * frames].reshape(2, frames)
        np.copyto(steps[0], self._index[:frames])
        steps[1].fill(1.0)
        sines = self._sines[: self.size * frames].reshape(self.size, frames)
        np.matmul(self._incphase, steps, out=sines)
        np.sin(sines, out=sines)
        out = self._out[: 6 * frames].reshape(6, frames)
        np.matmul(a, sines, out=out)
        np.multiply(self.inc, float(frames), out=self._t1)
        np.add(self.phase, self._t1, out=self.phase)
        np.mod(self.phase, 2.0 * math.pi, out=self.phase)
        return out
