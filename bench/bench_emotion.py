"""The emotion engine's cost per face per frame, against a bare one-matrix numpy reading.

For 1, 4, 9 and 16 faces on a grid, drifting slightly so tracking stays stable, with the
scripted audience's real MediaPipe blendshapes and an expression-network reading on every
face (so the default fused reader runs), this times `EmotionEngine.update` (the engine the
rig builds from the default settings: tracking, per-face baselines, the network's resting
level, fusion, smoothing, the crowd) frame by frame. Interleaved with it, on the same
frames, runs the bare reference: the dicts to one matrix, the features
(`features_from_matrix`, the definitions themselves), the mapping's softmax and the fusion
written out in numpy, against the population baseline, with no tracking, learning,
smoothing or crowd. Medians over the frames; the goal (issue 10) is at most 50 us per face
at 16 faces, a level, so it is in the note rather than a ratio.

Prints a markdown table, then one JSON line per figure.
Usage: .venv/bin/python bench/bench_emotion.py [--frames N]
"""

from __future__ import annotations

import argparse
import math
import operator
import time
from dataclasses import replace

import numpy as np
from report import Figure, publish

from performance.config import Settings
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import EMOTIONS, Observations
from performance.emotion.features import EXTENDED_FEATURE_NAMES, features_from_matrix
from performance.emotion.mapping import EmotionMapping
from performance.perception.scripted import ScriptedAudience
from performance.runtime.pipeline import engine_from_settings

FACE_COUNTS = (1, 4, 9, 16)
FPS = 30.0
WARMUP = 30  # frames before timing (faces confirmed, arrays warm)
GOAL_US = 50.0  # issue 10: at most 50 us per face per frame at 16 faces


def scene(faces: int, frames: int, seed: int = 0) -> list[Observations]:
    """`frames` observations of `faces` faces on a grid, each drifting a little, each read by
    the expression network (smoothly varying probabilities)."""
    audience = ScriptedAudience(faces + 1, seed)  # the extra last face is the visitor, unused
    rng = np.random.default_rng(seed)
    cols = math.ceil(math.sqrt(faces))
    rows = math.ceil(faces / cols)
    size = 0.5 / max(cols, rows)
    phase = rng.uniform(0.0, 2 * math.pi, (faces, 2 + len(EMOTIONS)))
    freq = rng.uniform(0.1, 0.5, (faces, 2 + len(EMOTIONS)))
    out = []
    for i in range(frames):
        t = 10.0 + i / FPS
        seen = audience.observe(t).faces[:faces]
        placed = []
        for k, face in enumerate(seen):
            cx = (k % cols + 0.5) / cols + 0.1 * size * math.sin(freq[k, 0] * t + phase[k, 0])
            cy = (k // cols + 0.5) / rows + 0.1 * size * math.sin(freq[k, 1] * t + phase[k, 1])
            logits = 1.5 * np.sin(freq[k, 2:] * t + phase[k, 2:])
            p = np.exp(logits) / np.exp(logits).sum()
            bbox = (cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2)
            placed.append(replace(face, bbox=bbox, expression=tuple(float(v) for v in p)))
        out.append(Observations(timestamp=t, frame_index=i, source="bench", faces=tuple(placed)))
    return out


class Bare:
    """The same features and fused mapping as one numpy matrix: no state at all."""

    def __init__(self, mapping: EmotionMapping) -> None:
        assert mapping.fusion is not None, "the shipped mapping has a [fusion] table"
        self.row = operator.itemgetter(*BLENDSHAPE_NAMES)
        self.columns = [EXTENDED_FEATURE_NAMES.index(f) for f in mapping.feature_names]
        self.base = mapping.population_baseline
        self.weights_t, self.bias = mapping.weights.T.copy(), mapping.bias
        fusion = mapping.fusion
        self.wb, self.wn, self.offset = (fusion.blendshape_weight, fusion.network_weight,
                                         fusion.offset)
        self.log_prior = fusion.prior_power * np.log(fusion.prior)
        self.circumplex, self.rest_offset = mapping.circumplex, fusion.rest_offset

    def read(self, observations: Observations) -> tuple[np.ndarray, np.ndarray]:
        faces = observations.faces
        matrix = np.array([self.row(f.blendshapes) for f in faces])
        network = np.array([f.expression for f in faces])
        features = features_from_matrix(matrix, BLENDSHAPE_NAMES, extended=True)
        blend = _softmax((features[:, self.columns] - self.base) @ self.weights_t + self.bias)
        evidence = np.log(np.clip(network, 1e-6, 1.0)) - self.log_prior
        evidence -= evidence.mean(axis=1, keepdims=True)
        fused = _softmax(self.offset + self.wb * np.log(np.clip(blend, 1e-6, 1.0))
                         + self.wn * evidence)
        return fused, np.clip(fused @ self.circumplex - self.rest_offset, -1.0, 1.0)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def measure(faces: int, frames: int, mapping: EmotionMapping) -> tuple[float, float]:
    """Median µs per face per frame of the engine and of the bare reading, interleaved."""
    engine = engine_from_settings(Settings(), mapping)
    bare = Bare(mapping)
    rig_ns, bare_ns = [], []
    for i, observations in enumerate(scene(faces, WARMUP + frames)):
        t0 = time.perf_counter_ns()
        room = engine.update(observations)
        t1 = time.perf_counter_ns()
        bare.read(observations)
        t2 = time.perf_counter_ns()
        if i >= WARMUP:
            rig_ns.append(t1 - t0)
            bare_ns.append(t2 - t1)
    assert len(room.faces) == faces, f"tracking lost faces: {len(room.faces)} of {faces}"
    return (float(np.median(rig_ns)) / 1e3 / faces, float(np.median(bare_ns)) / 1e3 / faces)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="timed frames per face count")
    args = parser.parse_args(argv)
    mapping = EmotionMapping.load()
    figures = []
    for n in FACE_COUNTS:
        rig, bare = measure(n, args.frames, mapping)
        note = "bare: features + mapping + fusion as one numpy matrix, nothing learned"
        if n == max(FACE_COUNTS):
            note += f"; goal <= {GOAL_US:g} us per face ({'meets' if rig <= GOAL_US else 'misses'})"
        faces = "1 face" if n == 1 else f"{n} faces"
        figures.append(Figure(f"emotion engine per face, {faces}", rig, bare, unit="us",
                              note=note))
    publish(f"Emotion engine per face per frame (reader fused, {args.frames} frames, medians)",
            figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
