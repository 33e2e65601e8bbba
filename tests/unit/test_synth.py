"""The synth offline: level, spectrum, harmony, safety, continuity, glides, determinism.

No device, no sleep: blocks are rendered with numpy and measured.
"""

from __future__ import annotations

import math
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest

from performance.audio.engine import SynthTrack
from performance.audio.palettes import PALETTES, palette_names
from performance.audio.params import AudioParams
from performance.audio.synth import CEILING, Synth
from performance.core.types import CrowdReading, RoomEmotion
from performance.show.frame import Layer, ShowFrame, SoundSetting

RATE = 48000
BLOCK = 480  # 10 ms


def render_seq(params: list[AudioParams], block: int = BLOCK, seed: int = 0,
               synth: Synth | None = None) -> np.ndarray:
    """One block per snapshot, concatenated: (len(params) * block, 2)."""
    s = synth or Synth(RATE, 2, seed)
    out = np.zeros((len(params) * block, 2), dtype=np.float32)
    for i, p in enumerate(params):
        s.render_into(out[i * block:(i + 1) * block], p)
    return out


def steady(p: AudioParams, seconds: float, settle: float = 1.5, seed: int = 0) -> np.ndarray:
    """Mono mix of `seconds` after `settle` seconds at constant `p`."""
    blocks = int((settle + seconds) * RATE / BLOCK)
    x = render_seq([p] * blocks, seed=seed)
    return x[int(settle * RATE):].mean(axis=1).astype(np.float64)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def centroid(x: np.ndarray) -> float:
    """Power-weighted mean frequency (Hz)."""
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)
    return float(np.sum(f * mag) / np.sum(mag))


def harmonicity(x: np.ndarray, fundamental: float) -> float:
    """Share of the power between 40 Hz and 1 kHz lying on one harmonic series.

    The consonant voicing of a palette (root, fifth, octave, major tenth, twelfth: for
    essence ratios 2:3:4:5:6:8 over half the root) is one harmonic series, so its sum is
    periodic and nearly all its power sits within 1.5 Hz of multiples of its fundamental
    (`series_fundamental`). Tense intervals (16/15, 45/32)
    and the detuned, beating pairs put their partials between those lines. Bins are 0.5 Hz
    (2 s, Hann window).
    """
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)
    band = (f > 40.0) & (f < 1000.0)
    on_series = np.abs(f - fundamental * np.round(f / fundamental)) <= 1.5
    return float(power[band & on_series].sum() / power[band].sum())


# -- level --------------------------------------------------------------------------------


def test_default_level_is_in_a_sane_range() -> None:
    level = rms(steady(AudioParams(), 2.0))
    assert 0.03 < level < 0.3  # about -30 .. -10 dBFS at the default act level 0.8


def test_disabled_and_master_zero_are_exactly_silent() -> None:
    assert not np.any(steady(AudioParams(enabled=False), 1.0, settle=0.0))
    on = AudioParams(level=1.0)
    x = render_seq([on] * 100 + [AudioParams(level=1.0, master=0.0)] * 100)
    assert rms(x[: 100 * BLOCK]) > 0.02
    assert not np.any(x[-50 * BLOCK:])  # the master fade has landed on zero
    x = render_seq([on] * 100 + [AudioParams(level=1.0, enabled=False)] * 700)
    assert not np.any(x[-100 * BLOCK:])  # level glide (0.5 s) landed on zero


# -- spectrum -----------------------------------------------------------------------------


def test_brightness_rises_with_arousal() -> None:
    calm = centroid(steady(AudioParams(CrowdReading(arousal=-0.8, chaos=0.1)), 3.0))
    excited = centroid(steady(AudioParams(CrowdReading(arousal=0.8, chaos=0.1)), 3.0))
    assert excited > 1.3 * calm


def test_brightness_and_noise_rise_with_chaos() -> None:
    ordered = steady(AudioParams(CrowdReading(chaos=0.0)), 3.0)
    chaotic = steady(AudioParams(CrowdReading(chaos=1.0)), 3.0)
    assert centroid(chaotic) > 1.5 * centroid(ordered)
    assert rms(chaotic) > rms(ordered)


def test_pulse_rate_follows_arousal() -> None:
    def beat_hz(p: AudioParams) -> float:
        x = steady(p, 8.0)
        env = np.sqrt(np.mean(x[: len(x) // 480 * 480].reshape(-1, 480) ** 2, axis=1))
        spec = np.abs(np.fft.rfft(env - env.mean()))
        f = np.fft.rfftfreq(len(env), 0.01)
        band = (f > 0.3) & (f < 6.0)
        return float(f[band][np.argmax(spec[band])])

    calm = beat_hz(AudioParams(CrowdReading(valence=1.0, arousal=-1.0, presence=1.0)))
    excited = beat_hz(AudioParams(CrowdReading(valence=1.0, arousal=1.0, presence=1.0)))
    assert calm == pytest.approx(0.5, abs=0.2)
    assert excited == pytest.approx(3.5, abs=0.3)


def series_fundamental(palette: str) -> float:
    """The consonant voicing's common fundamental: the root over the least common
    denominator of its ratios (essence 1, 3/2, 2, 5/2, 3, 4: root / 2 = 25 Hz; sanctuary
    adds 15/4: root / 4 = 16.7 Hz)."""
    p = PALETTES[palette]
    denominators = [Fraction(ratio).limit_denominator(64).denominator
                    for ratio, *_ in p.consonant]
    return p.root_hz / math.lcm(*denominators)


@pytest.mark.parametrize("palette", ["essence", "sanctuary"])
def test_positive_valence_is_consonant_negative_is_tense(palette: str) -> None:
    series = series_fundamental(palette)
    warm = harmonicity(steady(AudioParams(CrowdReading(valence=0.8, arousal=-0.6),
                                          palette=palette), 2.0, settle=2.0), series)
    tense = harmonicity(steady(AudioParams(CrowdReading(valence=-0.8, arousal=-0.6),
                                           palette=palette), 2.0, settle=2.0), series)
    assert warm > 0.9
    assert tense < 0.7 * warm  # measured: about 0.99 vs 0.50 (essence), 0.99 vs 0.60


@pytest.mark.parametrize("palette", ["essence", "enclave"])
def test_palette_sets_the_mains_hum(palette: str) -> None:
    x = steady(AudioParams(CrowdReading(arousal=0.6, valence=0.8), palette=palette), 2.0,
               settle=3.0)
    mag = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    f = np.fft.rfftfreq(len(x), 1.0 / RATE)

    def at(hz: float) -> float:
        return float(mag[np.abs(f - hz) < 1.0].max())

    mains = 50.0 if palette == "essence" else 60.0
    other = 60.0 if palette == "essence" else 50.0
    assert at(2 * mains) > 5.0 * at(2 * other)


def test_unknown_palette_falls_back_to_essence() -> None:
    seq = [AudioParams(palette="essence")] * 50
    other = [AudioParams(palette="no-such-palette")] * 50
    assert np.array_equal(render_seq(seq), render_seq(other))
    assert {"essence", "enclave", "sanctuary"} <= set(palette_names())


# -- safety and continuity ----------------------------------------------------------------


def test_no_sample_reaches_full_scale_at_maximum() -> None:
    loud = AudioParams(CrowdReading(valence=-1.0, arousal=1.0, chaos=1.0, face_count=50,
                                    presence=1.0), level=1.0, master=1.0)
    x = render_seq([loud] * 600)
    assert np.abs(x).max() <= CEILING < 1.0
    assert np.abs(x).max() > 0.5  # and it is loud: the limiter works near the ceiling
    flip = [loud if (i // 3) % 2 else AudioParams(level=0.0) for i in range(600)]
    assert np.abs(render_seq(flip)).max() <= CEILING


def _edge_jumps(x: np.ndarray, block: int) -> tuple[float, float, float]:
    """Max |second difference| straddling block edges, and its 99.9th percentile and its
    maximum inside the blocks."""
    d2 = np.abs(np.diff(x.astype(np.float64), n=2, axis=0)).max(axis=1)
    edges = np.arange(block, len(x) - 1, block)
    at_edges = np.concatenate([d2[edges - 2], d2[edges - 1]])
    inside = np.delete(d2, np.concatenate([edges - 2, edges - 1]))
    return float(at_edges.max()), float(np.percentile(inside, 99.9)), float(inside.max())


def test_parameter_jumps_do_not_click_at_block_edges() -> None:
    block = 256
    seq = [AudioParams(CrowdReading(valence=1.0 if (i // 4) % 2 else -1.0, arousal=-0.5),
                       palette="essence" if (i // 16) % 2 else "sanctuary") for i in range(400)]
    edge, inside, _ = _edge_jumps(render_seq(seq, block)[40 * block:], block)
    assert edge <= inside
    seq = [AudioParams(CrowdReading(chaos=float((i // 4) % 2),
                                    valence=-1.0 + 2.0 * ((i // 6) % 2)), level=1.0)
           for i in range(400)]
    edge, inside, inside_max = _edge_jumps(render_seq(seq, block)[40 * block:], block)
    assert edge <= inside_max  # no edge jumps more than the sound does inside a block
    assert edge <= 4.0 * inside


# -- glides, determinism, allocation ------------------------------------------------------


def test_level_step_takes_the_glide_time() -> None:
    quiet = CrowdReading(valence=0.8, arousal=-0.8)
    ref = render_seq([AudioParams(quiet, level=0.5)] * 300)
    step = render_seq([AudioParams(quiet, level=0.5)] * 100
                      + [AudioParams(quiet, level=1.0)] * 200)
    ratio = (np.abs(step[100 * BLOCK:]).reshape(-1, BLOCK, 2).sum(axis=(1, 2))
             / np.abs(ref[100 * BLOCK:]).reshape(-1, BLOCK, 2).sum(axis=(1, 2)))
    # level 0.5 -> 1.0: 63 % of the way (ratio 1.63) after one glide time (0.5 s = 50 blocks)
    reached = int(np.argmax(ratio >= 1.0 + 0.632)) * BLOCK / RATE
    assert reached == pytest.approx(Synth().level_glide, rel=0.1)
    assert ratio[-1] == pytest.approx(2.0, rel=0.01)
    assert np.all(np.diff(ratio) >= -1e-3)  # a glide, never a step back


def test_same_seed_and_params_give_the_same_samples() -> None:
    seq = [AudioParams(CrowdReading(valence=math.sin(i / 20), arousal=math.cos(i / 13),
                                    chaos=(i % 50) / 50))
           for i in range(200)]
    a, b = render_seq(seq, seed=7), render_seq(seq, seed=7)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_seq(seq, seed=8))


def test_render_into_allocates_nothing_that_grows() -> None:
    synth = Synth(RATE, 2, 0)
    out = np.zeros((512, 2), dtype=np.float32)
    busy = [AudioParams(CrowdReading(valence=v, arousal=1.0, chaos=1.0), palette=p)
            for v, p in ((-1.0, "essence"), (1.0, "enclave"))]
    for p in busy * 20:  # warm up: every code path once
        synth.render_into(out, p)
    # Only allocations made from the audio code count (threads left over by other tests
    # allocate too), and only growth: a few small Python scalars come and go between blocks.
    ours = [tracemalloc.Filter(True, "*performance/audio/*", all_frames=True)]
    tracemalloc.start(4)  # deep enough to see the audio line under numpy's wrappers
    try:
        for i in range(200):
            synth.render_into(out, busy[(i // 50) % 2])
        before = tracemalloc.take_snapshot().filter_traces(ours)
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for i in range(1000):
            synth.render_into(out, busy[(i // 50) % 2])
        _, peak = tracemalloc.get_traced_memory()
        after = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 6144  # nothing kept per block: even 8 bytes a block would be 8 KiB
    assert peak - base < 16384  # and no block-sized array (4 KiB+) made on the way, bar views
    assert synth.events_dropped == 0


def test_any_channel_count_and_long_blocks() -> None:
    p = AudioParams(CrowdReading(arousal=0.5))
    stereo = Synth(RATE, 2, 3).render(p, 5000)
    quad = Synth(RATE, 4, 3).render(p, 5000)
    mono = Synth(RATE, 1, 3).render(p, 5000)
    assert quad.shape == (5000, 4) and quad.dtype == np.float32
    assert np.array_equal(quad[:, 2:], stereo) and np.array_equal(quad[:, :2], stereo)
    assert np.allclose(mono[:, 0], stereo.mean(axis=1), atol=1e-6)


# -- snapshots and the offline track ------------------------------------------------------


def test_params_from_show_and_crowd() -> None:
    crowd = CrowdReading(face_count=3, valence=0.4, arousal=-0.2, chaos=0.7, presence=1.0)
    show = ShowFrame(time=1.0, current=Layer("essence_module"), master=0.25, act=2,
                     sound=SoundSetting(enabled=False, level=0.6, palette="enclave"))
    p = AudioParams.from_frame(show, crowd)
    assert (p.crowd.valence, p.crowd.chaos, p.master, p.level, p.palette, p.act) == (
        0.4, 0.7, 0.25, 0.6, "enclave", 2)
    assert p.gain == 0.0  # the act's sound is off
    alone = AudioParams.from_frame(None, crowd)
    assert alone.gain == pytest.approx(0.8) and alone.crowd.face_count == 3
    wild = AudioParams(CrowdReading(valence=float("nan"), arousal=5.0, chaos=-1.0),
                       level=float("inf"))
    assert (wild.crowd.valence, wild.crowd.arousal, wild.crowd.chaos, wild.level) == (
        0.0, 1.0, 0.0, 1.0)


def test_offline_track_follows_the_show_and_repeats_itself() -> None:
    crowd = CrowdReading(face_count=2, valence=0.5, arousal=0.4, chaos=0.3, presence=1.0)
    emotion = RoomEmotion(timestamp=0.0, crowd=crowd)
    loud = ShowFrame(time=0.0, current=Layer("enclave"))
    faded = ShowFrame(time=0.0, current=Layer("enclave"), master=0.0)

    def track(states: list[ShowFrame]) -> np.ndarray:
        audio = SynthTrack(Synth(RATE, 2, 0, master_glide=0.01))
        return np.concatenate([audio.render(s, emotion, 1600) for s in states])

    sound = track([loud] * 30)
    assert sound.dtype == np.float32 and sound.shape == (48000, 2)
    assert np.array_equal(sound, track([loud] * 30))  # the same states, the same samples
    quiet = track([loud] * 10 + [faded] * 20)
    assert rms(quiet[-16000:]) < 1e-4 < rms(sound[-16000:])  # a panic fade silences it
