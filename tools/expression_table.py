"""Labelled face images -> a table of what the rig's two readers see (for `essence calibrate`).

Reads folders laid out as `ROOT/<label>/<image>` (FER2013-style labels: angry, disgust, fear,
happy, neutral, sad, surprise, or the rig's own names), keeps the files whose names match
`--pattern`, runs each through the rig's own IMAGE-mode perception (small stills upscaled and
padded as the shared tables were made; the expression network on the landmarks' square
crop) and writes one CSV row per image: the columns of ../shared/datasets' tables (label,
subject, width, height, detected, yaw, pitch, roll, the 52 blendshapes) plus the network's
probabilities `net_<emotion>`. Only numbers are written; no image or crop leaves memory.

Usage: .venv/bin/python tools/expression_table.py ROOT --pattern 'PrivateTest_\\d+\\.jpg$'
       --out /tmp/fer_private.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2

from performance.config import Settings
from performance.core.blendshapes import BLENDSHAPE_NAMES
from performance.core.types import EMOTIONS, Frame
from performance.runtime.pipeline import landmarker_factory

LABELS = {"angry": "angry", "disgust": "disgusted", "fear": "fearful", "happy": "happy",
          "neutral": "neutral", "sad": "sad", "surprise": "surprised",
          **{name: name for name in EMOTIONS}}
COLUMNS = ("label", "subject", "width", "height", "detected", "yaw", "pitch", "roll",
           *BLENDSHAPE_NAMES, *(f"net_{name}" for name in EMOTIONS))


def rows(root: Path, pattern: re.Pattern[str], settings: Settings) -> Iterator[list[object]]:
    """One row (a list of cells) per matching image under `root`."""
    from performance.perception.expression import ExpressionNetwork, ExpressionUnavailable
    from performance.runtime.pipeline import expression_model

    network = expression_model(settings)
    if network is None:  # the rig would fall back to the blendshapes: no table without it
        raise ExpressionUnavailable("the LiteRT runtime is missing: no network columns")
    ExpressionNetwork(network)  # fails now, clearly, if the model cannot be loaded
    detector = landmarker_factory(settings, "image")()
    try:
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            label = LABELS.get(folder.name)
            if label is None:
                continue
            for path in sorted(folder.iterdir()):
                if not pattern.search(path.name):
                    continue
                bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if bgr is None:
                    continue
                image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                frame = Frame(image=image, timestamp=0.0, index=0, source=path.name,
                              is_still=True)
                faces = detector.detect(frame).faces
                h, w = image.shape[:2]
                if not faces:
                    yield [label, path.stem, w, h, 0, *[""] * (3 + len(BLENDSHAPE_NAMES)
                                                           + len(EMOTIONS))]
                    continue
                face = max(faces, key=lambda f: f.size)
                shapes = [f"{face.blendshapes.get(n, 0.0):.5f}" for n in BLENDSHAPE_NAMES]
                assert face.expression is not None  # every detector here has its network
                net = [f"{p:.5f}" for p in face.expression]
                yield [label, path.stem, w, h, 1, f"{face.yaw:.2f}", f"{face.pitch:.2f}",
                       f"{face.roll:.2f}", *shapes, *net]
    finally:
        detector.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder of <label>/<image> folders")
    parser.add_argument("--pattern", default=r".", help="regular expression file names match")
    parser.add_argument("--out", type=Path, required=True, help="CSV to write")
    args = parser.parse_args(argv)
    settings = Settings(tiles="off", reader="fused")
    count = 0
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in rows(args.root, re.compile(args.pattern), settings):
            writer.writerow(row)
            count += 1
    print(f"wrote {args.out} ({count} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
