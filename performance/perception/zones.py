"""The camera calibration's zones applied to what perception saw: faces whose box centre
lies in an ignore zone are dropped before anything reads their emotion; faces in the
performer zone are marked `FaceRole.PERFORMER` (the emotion layer reads them apart)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from performance.core.types import FaceObservation, FaceRole, Frame, Observations
from performance.perception.worker import Detector
from performance.venue.zones import Placement, ZoneMap


def apply_zones(observations: Observations, zones: ZoneMap) -> Observations:
    """`observations` without the faces in an ignore zone, the performer's marked."""
    if zones.empty or not observations.faces:
        return observations
    centres = np.array([face.center for face in observations.faces])
    kept: list[FaceObservation] = []
    for face, place in zip(observations.faces, zones.place(centres), strict=True):
        if place is Placement.IGNORED:
            continue
        role = FaceRole.PERFORMER if place is Placement.PERFORMER else FaceRole.AUDIENCE
        kept.append(face if face.role is role else replace(face, role=role))
    return replace(observations, faces=tuple(kept))


class ZonedDetector:
    """A detector whose observations pass through `apply_zones` (closing closes the inner)."""

    def __init__(self, inner: Detector, zones: ZoneMap) -> None:
        self.inner = inner
        self.zones = zones

    def detect(self, frame: Frame) -> Observations:
        return apply_zones(self.inner.detect(frame), self.zones)

    def close(self) -> None:
        self.inner.close()
