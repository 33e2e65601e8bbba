"""The camera calibration's cost per frame, each against the bare work in the same run.

The transform of a 1280x720 frame (mirror; mirror + quarter turn + crop) against OpenCV's
flip, rotate and a slice written out the plain way (the same picture, asserted); the zone
check of 8 faces against 4 ignore zones and a performer zone against one
`cv2.pointPolygonTest` per face and zone.
Run: .venv/bin/python bench/bench_camera.py (or `make bench BENCH=camera`)."""

from __future__ import annotations

import argparse

import cv2
import numpy as np
from report import Figure, interleaved, publish

from performance.core.types import FaceObservation, Observations
from performance.perception.zones import apply_zones
from performance.sources.transform import transform_image
from performance.venue.camera import CameraCalibration, Crop, Rotation
from performance.venue.zones import ZoneMap

WARMUP = 20
SQUARE = ((0.1, 0.1), (0.3, 0.1), (0.3, 0.3), (0.1, 0.3))
PERFORMER = ((0.5, 0.5), (0.9, 0.5), (0.9, 0.9), (0.5, 0.9))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternations per figure")
    parser.add_argument("--block", type=int, default=50, help="calls per block")
    args = parser.parse_args(argv)
    image = np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    mirror = CameraCalibration(mirror=True)
    full = CameraCalibration(mirror=True, rotation=Rotation.CW90,
                             crop=Crop(0.1, 0.1, 0.9, 0.9))

    def bare_full(_: int) -> np.ndarray:  # the plain way: mirror, then turn, then cut
        turned = cv2.rotate(cv2.flip(image, 1), cv2.ROTATE_90_CLOCKWISE)
        h, w = turned.shape[:2]
        return np.ascontiguousarray(turned[round(0.1 * h):round(0.9 * h),
                                           round(0.1 * w):round(0.9 * w)])

    ignore = tuple(tuple((x + i * 0.2, y) for x, y in SQUARE) for i in range(4))
    zones = ZoneMap(ignore, PERFORMER)
    faces = tuple(FaceObservation(bbox=(i / 9, 0.4, i / 9 + 0.08, 0.5), blendshapes={})
                  for i in range(8))
    obs = Observations(timestamp=0.0, frame_index=0, source="bench", faces=faces)
    contours = [np.array(p, dtype=np.float32) for p in (*ignore, PERFORMER)]

    def bare_zones(_: int) -> None:
        for face in faces:
            x, y = face.center
            [cv2.pointPolygonTest(c, (float(x), float(y)), False) >= 0 for c in contours]

    assert np.array_equal(transform_image(image, full), bare_full(0))  # the same picture
    figures = []
    for name, rig, bare in (
        ("transform 1280x720, mirror", lambda _: transform_image(image, mirror),
         lambda _: cv2.flip(image, 1)),
        ("transform 1280x720, mirror + quarter turn + crop",
         lambda _: transform_image(image, full), bare_full),
        ("zones, 8 faces vs 4 ignore + 1 performer", lambda _: apply_zones(obs, zones),
         bare_zones),
    ):
        rig_ms, bare_ms = interleaved(rig, bare, args.rounds, args.block, warmup=WARMUP)
        figures.append(Figure(name, rig_ms, bare_ms))
    publish("Camera calibration per frame vs the bare OpenCV work", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
