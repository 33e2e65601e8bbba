"""Face identity across frames: a face keeps its id while it stays in view.

Matching is greedy on centre distance measured in face widths (faces are few; greedy on
sorted costs gives the same answer as an optimal assignment whenever faces are apart).
A track that is not seen for `forget_after` seconds is forgotten and counted as a departure;
an observation that matches no track starts a tentative track, which becomes a face (and
counts as an arrival) once it has been seen `confirm_hits` times; a tentative track that is
not seen again is dropped quietly, so one-frame false detections never reach the crowd.
The distances of every track to every face are one numpy array per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from performance.config import DEFAULTS
from performance.core.types import BBox, FaceObservation, bbox_center, bbox_width


@dataclass
class Track:
    """One face the tracker follows."""

    face_id: int
    bbox: BBox
    first_seen: float
    last_seen: float
    velocity: tuple[float, float] = (0.0, 0.0)
    hits: int = 1
    confirmed: bool = False

    @property
    def center(self) -> tuple[float, float]:
        return bbox_center(self.bbox)

    @property
    def size(self) -> float:
        return bbox_width(self.bbox)

    @property
    def speed(self) -> float:
        """Centre speed in frame widths per second."""
        return float((self.velocity[0] ** 2 + self.velocity[1] ** 2) ** 0.5)


@dataclass
class TrackUpdate:
    """The result of one tracker step."""

    matched: list[tuple[Track, FaceObservation]] = field(default_factory=list)
    arrived: list[int] = field(default_factory=list)
    departed: list[int] = field(default_factory=list)


class FaceTracker:
    """Assigns stable ids to faces from frame to frame."""

    def __init__(
        self, max_jump: float = 1.2, forget_after: float = DEFAULTS.forget_after,
        confirm_hits: int = 3
    ) -> None:
        """`max_jump`: how far a face may move between sightings, in face widths.

        `forget_after`: seconds a face may be unseen before it is forgotten.
        `confirm_hits`: sightings (in a row, allowing a 0.25 s gap) before a face counts.
        """
        self.max_jump = max_jump
        self.forget_after = forget_after
        self.confirm_hits = max(int(confirm_hits), 1)
        self.tentative_gap = 0.25
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def reset(self) -> list[int]:
        """Forget every face (for example between unrelated still images); return their ids."""
        gone = list(self.tracks)
        self.tracks.clear()
        return gone

    def update(self, faces: tuple[FaceObservation, ...], now: float) -> TrackUpdate:
        """Match `faces` seen at time `now` to tracks; start and forget tracks as needed."""
        result = TrackUpdate()
        used_tracks: set[int] = set()
        used_faces: set[int] = set()
        for face_id, index in self._candidates(faces, now):
            if face_id in used_tracks or index in used_faces:
                continue
            used_tracks.add(face_id)
            used_faces.add(index)
            track = self.tracks[face_id]
            self._advance(track, faces[index], now)
            self._confirm(track, result)
            result.matched.append((track, faces[index]))
        for index, face in enumerate(faces):
            if index in used_faces:
                continue
            track = Track(self._next_id, face.bbox, first_seen=now, last_seen=now)
            self._next_id += 1
            self.tracks[track.face_id] = track
            self._confirm(track, result)
            result.matched.append((track, face))
        for face_id, track in list(self.tracks.items()):
            unseen = now - track.last_seen
            if track.confirmed and unseen > self.forget_after:
                del self.tracks[face_id]
                result.departed.append(face_id)
            elif not track.confirmed and unseen > self.tentative_gap:
                del self.tracks[face_id]
        return result

    def _candidates(self, faces: tuple[FaceObservation, ...],
                    now: float) -> list[tuple[int, int]]:
        """(track id, face index) pairs within `max_jump` of the track's predicted centre,
        nearest first (ties: lower id, then lower index), for every track and face at once."""
        if not self.tracks or not faces:
            return []
        ids = list(self.tracks)  # ascending: ids are handed out in order
        # Columns as rows (x0, y0, x1, y1, last seen, vx, vy): contiguous, so cheap to read.
        t = np.array([(*t.bbox, t.last_seen, *t.velocity) for t in self.tracks.values()]).T.copy()
        b = np.array([f.bbox for f in faces], dtype=np.float64).T.copy()
        lag = np.minimum(np.maximum(now - t[4], 0.0), 0.5)
        tx = (t[0] + t[2]) / 2.0 + t[5] * lag
        ty = (t[1] + t[3]) / 2.0 + t[6] * lag
        fx, fy = (b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0
        scale = np.maximum(np.maximum(t[2] - t[0], 1e-3)[:, None], b[2] - b[0])
        distance = np.hypot(fx - tx[:, None], fy - ty[:, None]) / scale
        rows, cols = np.nonzero(distance <= self.max_jump)
        if len(rows) > 1:
            order = np.lexsort((cols, rows, distance[rows, cols]))
            rows, cols = rows[order], cols[order]
        return [(ids[r], c) for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]

    def _confirm(self, track: Track, result: TrackUpdate) -> None:
        if not track.confirmed and track.hits >= self.confirm_hits:
            track.confirmed = True
            result.arrived.append(track.face_id)

    @staticmethod
    def _advance(track: Track, face: FaceObservation, now: float) -> None:
        dt = now - track.last_seen
        (ox, oy), (nx, ny) = track.center, face.center
        if dt > 1e-6:
            blend = 0.5
            vx = (nx - ox) / dt
            vy = (ny - oy) / dt
            track.velocity = (
                blend * vx + (1 - blend) * track.velocity[0],
                blend * vy + (1 - blend) * track.velocity[1],
            )
        track.bbox = face.bbox
        track.last_seen = now
        track.hits += 1
