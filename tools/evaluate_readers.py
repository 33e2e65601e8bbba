"""How the shipped calibration reads labelled faces it was never fitted on, per reader.

Takes tables written by `tools/expression_table.py` (for example FER2013's PublicTest split,
which no part of the calibration saw) and prints, for the blendshapes alone, the network
alone and the fused reader, the per-class recall, accuracy and balanced accuracy: each face
read as a still, against the population baseline, with `calibration/emotion.toml`.

Usage: .venv/bin/python tools/evaluate_readers.py TABLE.csv [TABLE.csv ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from performance.config import Reader
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import EMOTIONS
from performance.emotion.calibrate import class_scores, pct, read_tables
from performance.emotion.calibrate_fusion import read_network
from performance.emotion.mapping import EmotionMapping


def main(argv: list[str]) -> int:
    mapping = EmotionMapping.load()
    for path in map(Path, argv):
        blend, y, _ = read_tables([path])
        network = read_network([path])
        features = mapping.features_matrix(blend, BLENDSHAPE_NAMES)
        print(f"\n{path.name} ({len(y)} faces), read with {mapping.source}:\n")
        print("| reader | " + " | ".join(EMOTIONS) + " | accuracy | balanced |")
        print("|---" * (3 + len(EMOTIONS)) + "|")
        for reader in Reader:
            pred = np.array([
                np.argmax(mapping.predict_features(f, expression=n, reader=reader).probabilities)
                for f, n in zip(features, network, strict=True)])
            s = class_scores(reader.value, y, pred)
            print(f"| {reader.value} | " + " | ".join(pct(r) for r in s.recall)
                  + f" | {pct(s.accuracy)} | {pct(s.balanced_accuracy)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
