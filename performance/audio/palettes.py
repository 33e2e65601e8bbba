"""Named harmonic palettes of the synth ("essence", "enclave", "sanctuary").

A palette is pure data: a root, a consonant voicing (used when the room is positive: open
fifths, major thirds), a tense voicing (used when it is negative: minor seconds, tritones and
detuned pairs that beat), the mains frequency of the Essence Module's electrical hum, the
pitch of the pulse and the scale the granular turbulence draws from. Voices are
`(ratio to the root, amplitude, pan -1..1, detune in Hz)`.
"""

from __future__ import annotations

from dataclasses import dataclass

Voice = tuple[float, float, float, float]


@dataclass(frozen=True)
class Palette:
    """One harmonic world of the sound."""

    name: str
    root_hz: float
    consonant: tuple[Voice, ...]
    tense: tuple[Voice, ...]
    mains_hz: float = 50.0
    hum_level: float = 1.0
    stretch: float = 1.0  # partial n sits at n**stretch x f (1.0 harmonic, > 1 metallic)
    pulse_ratio: float = 2.0
    grain_ratios: tuple[float, ...] = (4.0, 4.5, 5.0, 6.0, 6.75, 8.0, 9.0, 10.0, 12.0, 16.0)


MINOR_SECOND = 16.0 / 15.0
TRITONE = 45.0 / 32.0

PALETTES: dict[str, Palette] = {
    "essence": Palette(
        name="essence",
        root_hz=50.0,  # the Module's mains hum is the tonic
        consonant=(
            (1.0, 1.0, 0.0, 0.0), (1.5, 0.7, -0.4, 0.0), (2.0, 0.55, 0.4, 0.0),
            (2.5, 0.35, -0.25, 0.0), (3.0, 0.3, 0.3, 0.0), (4.0, 0.18, -0.35, 0.0),
        ),
        tense=(
            (1.0, 1.0, 0.0, 0.0), (1.0, 0.8, 0.2, 3.5), (MINOR_SECOND, 0.6, -0.4, 0.0),
            (TRITONE, 0.55, 0.4, 0.0), (2.0 * MINOR_SECOND, 0.3, -0.2, 2.5),
            (2.0 * TRITONE, 0.25, 0.3, 4.5),
        ),
        mains_hz=50.0,
    ),
    "enclave": Palette(
        name="enclave",
        root_hz=60.0,
        consonant=(
            (1.0, 1.0, 0.0, 0.0), (1.5, 0.75, 0.45, 0.0), (2.0, 0.5, -0.45, 0.0),
            (2.25, 0.25, 0.2, 0.0), (3.0, 0.35, -0.2, 0.0), (4.5, 0.15, 0.35, 0.0),
        ),
        tense=(
            (1.0, 1.0, 0.0, 0.0), (1.0, 0.8, -0.3, 5.0), (MINOR_SECOND, 0.65, 0.45, 0.0),
            (TRITONE, 0.6, -0.45, 0.0), (2.0 * TRITONE, 0.3, 0.25, 3.0),
            (17.0 / 8.0, 0.25, -0.25, 0.0),
        ),
        mains_hz=60.0,
        hum_level=1.4,
        stretch=1.012,
        pulse_ratio=3.0,
        grain_ratios=(4.0, 4.0 * MINOR_SECOND, 6.0, 4.0 * TRITONE * 2.0, 9.0, 12.0, 17.0, 24.0),
    ),
    "sanctuary": Palette(
        name="sanctuary",
        root_hz=200.0 / 3.0,  # a fourth above the 50 Hz hum
        consonant=(
            (1.0, 1.0, 0.0, 0.0), (1.5, 0.8, -0.35, 0.0), (2.0, 0.6, 0.35, 0.0),
            (2.5, 0.45, -0.2, 0.0), (3.0, 0.35, 0.25, 0.0), (3.75, 0.2, -0.3, 0.0),
        ),
        tense=(
            (1.0, 1.0, 0.0, 0.0), (1.0, 0.6, 0.25, 2.5), (1.2, 0.6, -0.3, 0.0),
            (TRITONE, 0.45, 0.35, 0.0), (2.0 * MINOR_SECOND, 0.3, -0.2, 0.0),
            (2.4, 0.25, 0.2, 2.0),
        ),
        mains_hz=50.0,
        hum_level=0.5,
        pulse_ratio=1.5,
        grain_ratios=(4.0, 5.0, 6.0, 7.5, 8.0, 10.0, 12.0, 15.0),
    ),
}

DEFAULT_PALETTE = "essence"


def palette_names() -> list[str]:
    """The palettes a cue list may name."""
    return list(PALETTES)
