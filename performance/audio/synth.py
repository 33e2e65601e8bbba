"""The generative synth: `AudioParams` snapshots in, blocks of float32 samples out (numpy only).

Layers (all following the same smoothed state):

- drone: an additive chord per palette; valence crossfades (equal power) between the
  consonant voicing (open fifths, major thirds, steep harmonic roll-off: warm, low-passed)
  and the tense one (minor seconds, tritone, detuned pairs that beat a few times a second,
  darker roll-off);
- pulse: a soft heartbeat tone whose rate (0.5 -> 3.5 Hz) and brightness follow arousal;
- the Essence Module's electrical life: a mains buzz (50/60 Hz and harmonics, 100 Hz
  strongest) modulated by a flicker process whose rate follows arousal, plus sparse
  band-passed crackle clicks;
- turbulence: looping coloured noise and a granular cloud of palette-pitched grains, both
  growing with chaos.

Every parameter moves through a `Glide` (dt-exact one-pole per block, linear per sample
inside the block); palettes crossfade; the act level and the show's master fade are glided
gains; a peak limiter with release and a soft-knee clipper keep every sample below full
scale. `render_into` allocates no arrays (the audio callback uses it); the same seed and the
same parameter sequence give the same samples.
"""

from __future__ import annotations

import math
import random

import numpy as np

from performance.audio.bank import PartialBank
from performance.audio.dsp import Glide, click_table, fill_ramp, grain_table, noise_loop, soft_clip
from performance.audio.events import EventPool
from performance.audio.palettes import DEFAULT_PALETTE, PALETTES
from performance.audio.params import AudioParams
from performance.config import SAMPLE_RATE

DRONE_LEVEL = 0.22
HUM_LEVEL = 0.15
PULSE_LEVEL = 0.16
NOISE_LEVEL = 0.09
GRAIN_LEVEL = 0.22
CLICK_LEVEL = 0.30
LIMIT_THRESHOLD = 0.9  # the limiter holds block peaks here
LIMIT_RELEASE = 0.3  # seconds
CLIP_KNEE = 0.75
CEILING = 0.98  # no sample ever goes beyond this (about -0.2 dBFS)
PULSE_SHAPE = 6.0  # envelope x (1 - x) ** 6 over one beat: soft onset, smooth end
_PEAK_AT = 1.0 / (PULSE_SHAPE + 1.0)
_PULSE_NORM = 1.0 / (_PEAK_AT * (1.0 - _PEAK_AT) ** PULSE_SHAPE)
NOISE_SECONDS = (2.9, 3.7)  # loop lengths of dark and bright noise (different: no common beat)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw for small means (events per block), from the synth's own generator."""
    if mean <= 0.0:
        return 0
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit and k < 32:
        k += 1
        p *= rng.random()
    return k


class Synth:
    """Block synthesis of the rig's sound. Not thread-safe: one thread renders.

    `glide` is the time constant (seconds) of the mood parameters (valence, arousal, chaos,
    presence), `level_glide` that of the act level and on/off (a step covers 63 % of the way
    in one glide time, 95 % in three), `master_glide` that of the show's master fade (the
    show already fades it, so this only removes frame steps), `palette_glide` the palette
    crossfade. Blocks longer than `max_block` are rendered in pieces.
    """

    def __init__(self, sample_rate: int = SAMPLE_RATE, channels: int = 2, seed: int = 0, *,
                 glide: float = 0.3, level_glide: float = 0.5, master_glide: float = 0.03,
                 palette_glide: float = 1.5, max_block: int = 2048) -> None:
        if sample_rate < 8000 or channels < 1 or max_block < 16:
            raise ValueError(f"unsupported audio format: {sample_rate} Hz, {channels} channels")
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.max_block = int(max_block)
        self.level_glide = level_glide
        self._rng = random.Random(seed)
        tables = np.random.default_rng(seed)
        rate = self.sample_rate
        self._banks = {name: PartialBank(p, rate, max_block) for name, p in PALETTES.items()}
        self._bank_weight = {
            name: Glide(1.0 if name == DEFAULT_PALETTE else 0.0, palette_glide)
            for name in PALETTES
        }
        self._grains = {
            name: [grain_table(tables, p.root_hz * r * self._rng.choice((1.0, 1.0, 2.0)),
                               self._rng.uniform(0.02, 0.09), rate, self._rng.uniform(0.2, 0.7))
                   for r in p.grain_ratios]
            for name, p in PALETTES.items()
        }
        self._clicks = [click_table(tables, self._rng.uniform(0.0015, 0.006), rate,
                                    self._rng.uniform(1200.0, 5000.0)) for _ in range(8)]
        self._noise = [noise_loop(tables, int(NOISE_SECONDS[i // 2] * rate), rate,
                                  "dark" if i < 2 else "bright") for i in range(4)]
        self._noise_pos = [0, self._noise[1].shape[0] // 2, 0, self._noise[3].shape[0] // 3]
        self._events = EventPool(48, max_block)
        self._valence = Glide(0.0, glide)
        self._arousal = Glide(0.0, glide)
        self._chaos = Glide(0.0, glide)
        self._presence = Glide(0.0, glide)
        self._density = Glide(0.0, glide)
        self._level = Glide(0.0, level_glide, snap=1e-5)
        self._master = Glide(1.0, master_glide, snap=1e-5)
        self._flicker = Glide(0.5, 0.015)
        self._flicker_target = 0.5
        self._pulse_pos = 0.0
        self.limiter_gain = 1.0
        self.blocks = 0
        m = self.max_block
        self._left, self._right, self._pulse = np.zeros(m), np.zeros(m), np.zeros(m)
        self._ramp, self._tmp, self._tmp2 = np.zeros(m), np.zeros(m), np.zeros(m)
        self._unit = np.zeros(m)
        self._index = np.arange(m, dtype=np.int64)
        self._take = np.zeros(m, dtype=np.int64)

    @property
    def output_gain(self) -> float:
        """The current gain of the output: glided level x glided master."""
        return self._level.value * self._master.value

    @property
    def events_dropped(self) -> int:
        """Grains and clicks not played because the event pool was full."""
        return self._events.dropped

    def render(self, params: AudioParams, frames: int) -> np.ndarray:
        """A new float32 (frames, channels) block for `params` (allocates; offline use)."""
        out = np.zeros((frames, self.channels), dtype=np.float32)
        self.render_into(out, params)
        return out

    def render_into(self, out: np.ndarray, params: AudioParams) -> None:
        """Fill `out` (float32 (frames, channels), any channel count) without allocating."""
        total = out.shape[0]
        done = 0
        while done < total:
            frames = min(self.max_block, total - done)
            self._block(out[done:done + frames], params, frames)
            done += frames

    # -- one block ---------------------------------------------------------------------------

    def _block(self, out: np.ndarray, p: AudioParams, frames: int) -> None:
        dt = frames / self.sample_rate
        self.blocks += 1
        unit = self._unit[:frames]
        np.multiply(self._index[:frames], 1.0 / frames, out=unit)
        np.add(unit, 1.0 / frames, out=unit)  # 1/n .. 1
        room = p.crowd
        _, v = self._valence.step(room.valence, dt)
        a0, a = self._arousal.step(room.arousal, dt)
        c0, c = self._chaos.step(room.chaos, dt)
        _, presence = self._presence.step(room.presence, dt)
        _, density = self._density.step(min(room.face_count / 6.0, 1.0), dt)
        l0, l1 = self._level.step(p.level if p.enabled else 0.0, dt)
        m0, m1 = self._master.step(p.master, dt)
        g0, g1 = l0 * m0, l1 * m1
        selected = p.palette if p.palette in PALETTES else DEFAULT_PALETTE
        flicker = self._step_flicker((a + 1.0) / 2.0, dt)
        self._update_banks(selected, v, a, presence, flicker, dt)
        if g0 == 0.0 and g1 == 0.0:
            out.fill(0.0)
            self.limiter_gain = 1.0
            return
        left, right = self._left[:frames], self._right[:frames]
        left.fill(0.0)
        right.fill(0.0)
        self._mix_banks(left, right, frames, a0, a)
        self._mix_noise(left, right, frames, (a0 + 1.0) / 2.0, (a + 1.0) / 2.0, c0, c)
        self._schedule_events(selected, frames, dt, (a + 1.0) / 2.0, c, density, flicker)
        self._events.mix_into(left, right, frames)
        ramp = self._ramp[:frames]
        fill_ramp(ramp, unit, g0, g1)
        np.multiply(left, ramp, out=left)
        np.multiply(right, ramp, out=right)
        self._limit(left, right, frames, dt)
        self._write(out, left, right, frames)

    def _step_flicker(self, arousal01: float, dt: float) -> float:
        rate = 2.0 + 25.0 * arousal01**1.5  # flicker changes per second
        if self._rng.random() < 1.0 - math.exp(-rate * dt):
            r = self._rng.random()
            self._flicker_target = 0.0 if r < 0.15 else 0.2 + 0.8 * self._rng.random()
        return self._flicker.step(self._flicker_target, dt)[1]

    def _update_banks(self, selected: str, v: float, a: float, presence: float,
                      flicker: float, dt: float) -> None:
        a01 = (a + 1.0) / 2.0
        x = (1.0 + v) / 2.0
        blend = x * x * (3.0 - 2.0 * x) * math.pi / 2.0  # smoothstep, then equal power
        consonant, tense = math.sin(blend), math.cos(blend)
        drone = DRONE_LEVEL * (0.6 + 0.4 * presence)
        hum = HUM_LEVEL * (0.1 + 0.9 * flicker) * (0.4 + 0.6 * a01)
        pulse = PULSE_LEVEL * (0.3 + 0.7 * a01) * (0.6 + 0.4 * presence)
        slope_drone = 2.8 - 1.6 * a01 + 0.6 * tense
        slope_hum = 2.2 - 1.2 * flicker
        slope_pulse = 3.0 - 2.0 * a01
        for name, bank in self._banks.items():
            _, w = self._bank_weight[name].step(1.0 if name == selected else 0.0, dt)
            bank.update(consonant * drone * w, tense * drone * w, hum * w, pulse * w,
                        slope_drone, slope_hum, slope_pulse)

    def _mix_banks(self, left: np.ndarray, right: np.ndarray, frames: int,
                   a0: float, a1: float) -> None:
        unit, pulse, tmp = self._unit[:frames], self._pulse[:frames], self._tmp[:frames]
        pulse.fill(0.0)
        for bank in self._banks.values():
            if not bank.audible:
                continue
            rows = bank.render(frames)
            np.multiply(rows[2], unit, out=tmp)
            np.add(left, rows[0], out=left)
            np.add(left, tmp, out=left)
            np.multiply(rows[3], unit, out=tmp)
            np.add(right, rows[1], out=right)
            np.add(right, tmp, out=right)
            np.multiply(rows[5], unit, out=tmp)
            np.add(pulse, rows[4], out=pulse)
            np.add(pulse, tmp, out=pulse)
        # the pulse envelope: beats at 0.5 * 7 ** arousal01 Hz, x (1 - x) ** 6 per beat
        rate0 = 0.5 * 7.0 ** ((a0 + 1.0) / 2.0) / self.sample_rate
        rate1 = 0.5 * 7.0 ** ((a1 + 1.0) / 2.0) / self.sample_rate
        env, frac = self._tmp2[:frames], tmp
        fill_ramp(env, unit, rate0, rate1)
        np.cumsum(env, out=frac)
        np.add(frac, self._pulse_pos, out=frac)
        self._pulse_pos = float(frac[-1]) % 1.0
        np.mod(frac, 1.0, out=frac)
        np.subtract(1.0, frac, out=env)
        np.power(env, PULSE_SHAPE, out=env)
        np.multiply(env, frac, out=env)
        np.multiply(env, _PULSE_NORM, out=env)
        np.multiply(pulse, env, out=pulse)
        np.add(left, pulse, out=left)
        np.add(right, pulse, out=right)

    def _mix_noise(self, left: np.ndarray, right: np.ndarray, frames: int,
                   a0: float, a1: float, c0: float, c1: float) -> None:
        def gains(a01: float, chaos: float) -> tuple[float, float]:
            level = NOISE_LEVEL * (0.05 + chaos**1.5)
            bright = min(1.0, 0.15 + 0.45 * a01 + 0.4 * chaos)
            return level * (1.0 - bright), level * bright

        dark0, bright0 = gains(a0, c0)
        dark1, bright1 = gains(a1, c1)
        unit, ramp, tmp = self._unit[:frames], self._ramp[:frames], self._tmp[:frames]
        idx = self._take[:frames]
        for i, table in enumerate(self._noise):
            g0, g1 = (dark0, dark1) if i < 2 else (bright0, bright1)
            n = table.shape[0]
            np.add(self._index[:frames], self._noise_pos[i], out=idx)
            np.remainder(idx, n, out=idx)
            np.take(table, idx, out=tmp)
            self._noise_pos[i] = (self._noise_pos[i] + frames) % n
            fill_ramp(ramp, unit, g0, g1)
            np.multiply(tmp, ramp, out=tmp)
            side = left if i % 2 == 0 else right
            np.add(side, tmp, out=side)

    def _schedule_events(self, palette: str, frames: int, dt: float, a01: float,
                         chaos: float, density: float, flicker: float) -> None:
        rng, events = self._rng, self._events
        grains = self._grains[palette]
        for _ in range(_poisson(rng, (70.0 * chaos**1.3 + 4.0 * density * chaos) * dt)):
            gain = GRAIN_LEVEL * (0.4 + 0.6 * rng.random()) * (0.3 + 0.7 * chaos)
            pan = (rng.random() * 2.0 - 1.0) * (0.3 + 0.7 * chaos)
            angle = (pan + 1.0) * math.pi / 4.0
            events.start(grains[rng.randrange(len(grains))], rng.randrange(frames),
                         gain * math.cos(angle), gain * math.sin(angle))
        click_rate = (0.3 + 16.0 * a01**2) * (0.3 + flicker)
        for _ in range(_poisson(rng, click_rate * dt)):
            gain = CLICK_LEVEL * (0.3 + 0.7 * rng.random()) * (0.4 + 0.6 * flicker)
            gain *= 0.4 + 0.6 * a01
            pan = rng.random() * 0.6 - 0.3
            angle = (pan + 1.0) * math.pi / 4.0
            events.start(self._clicks[rng.randrange(len(self._clicks))], rng.randrange(frames),
                         gain * math.cos(angle), gain * math.sin(angle))

    def _limit(self, left: np.ndarray, right: np.ndarray, frames: int, dt: float) -> None:
        tmp = self._tmp[:frames]
        np.abs(left, out=tmp)
        peak = float(tmp.max())
        np.abs(right, out=tmp)
        peak = max(peak, float(tmp.max()))
        target = min(1.0, LIMIT_THRESHOLD / peak) if peak > 0.0 else 1.0
        start = self.limiter_gain
        if target < start:
            end = target  # attack within the block; the clipper takes the first samples
        else:
            end = target + (start - target) * math.exp(-dt / LIMIT_RELEASE)
        self.limiter_gain = end
        if start < 1.0 or end < 1.0:
            ramp = self._ramp[:frames]
            fill_ramp(ramp, self._unit[:frames], start, end)
            np.multiply(left, ramp, out=left)
            np.multiply(right, ramp, out=right)
        soft_clip(left, tmp, CLIP_KNEE, CEILING)
        soft_clip(right, tmp, CLIP_KNEE, CEILING)

    def _write(self, out: np.ndarray, left: np.ndarray, right: np.ndarray, frames: int) -> None:
        channels = out.shape[1]
        if channels == 1:
            np.add(left, right, out=self._tmp[:frames])
            np.multiply(self._tmp[:frames], 0.5, out=self._tmp[:frames])
            np.copyto(out[:, 0], self._tmp[:frames], casting="same_kind")
            return
        for ch in range(channels):
            np.copyto(out[:, ch], left if ch % 2 == 0 else right, casting="same_kind")
