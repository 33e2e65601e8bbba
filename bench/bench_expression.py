"""The expression network's cost per face: the rig's landmarker with and without it, one run.

Prints the mean time of one network inference, and the mean detection time of one real face
(single_face.jpg of the test media) for the face model alone and with the expression network
reading its crop and mirror, their difference (the network's cost per face) and ratio.

Usage: .venv/bin/python bench/bench_expression.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
from report import Figure, publish

from performance.core.clock import work_seconds
from performance.core.types import Frame
from performance.perception.expression import ExpressionNetwork
from performance.perception.landmarker import FaceLandmarkerAdapter
from performance.perception.model import EXPRESSION_MODEL, resolve_model_path

MEDIA = Path(__file__).resolve().parents[1] / ".cache" / "testdata"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    face_model = resolve_model_path(os.environ.get("ESSENCE_FACE_MODEL") or None)
    network = ExpressionNetwork(resolve_model_path(None, model=EXPRESSION_MODEL))
    bgr = cv2.imread(str(MEDIA / "single_face.jpg"))
    if bgr is None:
        raise SystemExit(f"{MEDIA / 'single_face.jpg'}: missing; run make testdata")
    image = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    frame = Frame(image=image, timestamp=0.0, index=0, source="single_face.jpg", is_still=True)
    ms = {}
    for name, reader in (("face model", None), ("face model + network", network)):
        with FaceLandmarkerAdapter(face_model, mode="image", expression=reader) as detector:
            for _ in range(5):
                detector.detect(frame)
            start = work_seconds()
            for _ in range(args.repeat):
                detector.detect(frame)
            ms[name] = (work_seconds() - start) / args.repeat * 1000.0
    alone, both = ms["face model"], ms["face model + network"]
    crop = np.zeros((64, 64), np.float32)
    start = work_seconds()
    for _ in range(args.repeat * 4):
        network.probabilities(crop)
    one = (work_seconds() - start) / (args.repeat * 4) * 1000.0
    print(f"one inference of the network (64x64 grey, one thread): {one:.2f} ms")
    print(f"one face, {image.shape[1]}x{image.shape[0]}: face model {alone:.2f} ms, with the "
          f"expression network {both:.2f} ms; network per face {both - alone:.2f} ms "
          f"(x{both / alone:.2f})")
    publish("\nThe expression network's cost per face beside the face model", [
        Figure("perception per face with the expression network vs the face model alone",
               both, alone, note=f"network {both - alone:.2f} ms per face (goal <= 3 ms); one "
                                 f"inference {one:.2f} ms")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
