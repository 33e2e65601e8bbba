"""How the shipped calibration reads labelled faces it was never fitted on, per reader.

Takes tables written by `tools/expression_table.py` (for example FER2013's PublicTest split,
which no part of the calibration saw) and prints, for the blendshapes alone, the network
alone and the fused reader, the per-class recall, accuracy and balanced accuracy: each face
read as a still, against the population baseline, with `calibration/emotion.toml`.

`--posed` scores posed expressions the way issue 9's goal is stated: the six emotions only
(neutral-labelled rows dropped), a face read "neutral" counted wrong; the balanced figure is
over the six classes. `--confusion` adds each reader's confusion matrix (rows: the label,
columns: what was read, as a share of the row).

Usage: .venv/bin/python tools/evaluate_readers.py [--posed] [--confusion] TABLE.csv [...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from performance.config import Reader
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import EMOTIONS
from performance.emotion.calibrate import class_scores, pct, read_tables
from performance.emotion.calibrate_fusion import read_network
from performance.emotion.mapping import EmotionMapping

NEUTRAL = EMOTIONS.index("neutral")


def read(mapping: EmotionMapping, features: np.ndarray, network: np.ndarray,
         reader: Reader) -> np.ndarray:
    """The class each face is read as, by `reader`, as a still."""
    return np.array([
        np.argmax(mapping.predict_features(f, expression=n, reader=reader).probabilities)
        for f, n in zip(features, network, strict=True)])


def confusion(y: np.ndarray, pred: np.ndarray) -> list[str]:
    """A markdown confusion matrix: per label row, the share read as each class."""
    lines = ["| label \\ read | " + " | ".join(EMOTIONS) + " | n |",
             "|---" * (2 + len(EMOTIONS)) + "|"]
    for k, name in enumerate(EMOTIONS):
        rows = y == k
        if rows.any():
            shares = [(pred[rows] == j).mean() for j in range(len(EMOTIONS))]
            lines.append(f"| {name} | " + " | ".join(f"{100 * s:.0f}" for s in shares)
                         + f" | {int(rows.sum())} |")
    return lines


def evaluate(path: Path, mapping: EmotionMapping, *, posed: bool, show_confusion: bool) -> None:
    """Print the readers' table (and confusion matrices) for one table."""
    blend, y, _ = read_tables([path])
    network = read_network([path])
    keep = y != NEUTRAL if posed else np.ones(len(y), dtype=bool)
    blend, y, network = blend[keep], y[keep], network[keep]
    features = mapping.features_matrix(blend, BLENDSHAPE_NAMES)
    mode = ", posed: 6 emotions, neutral read = wrong" if posed else ""
    print(f"\n{path.name} ({len(y)} faces{mode}), read with {mapping.source}:\n")
    extra = " | read neutral | min class |" if posed else " |"
    print("| reader | " + " | ".join(EMOTIONS) + " | accuracy | balanced" + extra)
    print("|---" * (3 + len(EMOTIONS) + (2 if posed else 0)) + "|")
    matrices: list[str] = []
    for reader in Reader:
        pred = read(mapping, features, network, reader)
        s = class_scores(reader.value, y, pred)
        line = (f"| {reader.value} | " + " | ".join(pct(r) for r in s.recall)
                + f" | {pct(s.accuracy)} | {pct(s.balanced_accuracy)} |")
        if posed:
            worst = min(r for r in s.recall if not np.isnan(r))
            line += f" {pct(float((pred == NEUTRAL).mean()))} | {pct(worst)} |"
        print(line)
        if show_confusion:
            matrices += ["", f"{reader.value}:", "", *confusion(y, pred)]
    if matrices:
        print("\n".join(matrices))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", type=Path, nargs="+", help="tables of expression_table.py")
    parser.add_argument("--posed", action="store_true",
                        help="six emotions only; neutral-labelled rows dropped, neutral "
                             "readings counted wrong")
    parser.add_argument("--confusion", action="store_true",
                        help="also print each reader's confusion matrix (row shares, %%)")
    parser.add_argument("--calibration", type=Path, default=None,
                        help="calibration TOML to read with (default: the shipped one)")
    args = parser.parse_args(argv)
    mapping = EmotionMapping.load(args.calibration)
    for path in args.tables:
        evaluate(path, mapping, posed=args.posed, show_confusion=args.confusion)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
