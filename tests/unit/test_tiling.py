"""Tiling geometry: coverage with overlap, duplicate merging, coordinate round trips, and the
adaptive mode's rule (when to tile a still, how often a stream) without the model."""

from __future__ import annotations

import numpy as np
import pytest

from performance.config import DEFAULTS
from performance.core.errors import ConfigError
from performance.perception.tiling import (
    SMALL_FACE,
    Tile,
    TilingSchedule,
    TilingSettings,
    adaptive_tiles,
    auto_grid,
    bbox_of,
    can_tile,
    face_score,
    from_frame,
    iou,
    make_tiles,
    merge_faces,
    small_faces_likely,
    to_frame,
    upscale_and_pad,
)

ADAPTIVE = TilingSettings(adaptive=True)


@pytest.mark.parametrize("size", [(640, 480), (1920, 1080), (1000, 667), (1080, 1920)])
@pytest.mark.parametrize("grid", [(3, 2), (2, 2), "auto"])
def test_tiles_cover_frame_with_overlap(size: tuple[int, int], grid: object) -> None:
    w, h = size
    settings = TilingSettings(grid=grid, overlap=0.25, include_full_frame=True)  # type: ignore[arg-type]
    tiles = make_tiles(w, h, settings)
    assert tiles[0] == Tile(0, 0, w, h)
    parts = tiles[1:]
    covered = np.zeros((h, w), dtype=np.int32)
    for t in parts:
        assert 0 <= t.x0 < t.x1 <= w and 0 <= t.y0 < t.y1 <= h
        covered[t.y0:t.y1, t.x0:t.x1] += 1
    assert covered.min() >= 1, "every pixel lies in some tile"
    cols = len({t.x0 for t in parts})
    for a in parts:  # horizontal neighbours share about 25 % of a tile
        right = [b for b in parts if b.y0 == a.y0 and b.x0 > a.x0]
        if right:
            b = min(right, key=lambda t: t.x0)
            shared = a.x1 - b.x0
            assert shared == pytest.approx(0.25 * a.width, abs=2)
    expected = grid if isinstance(grid, tuple) else auto_grid(w, h, settings)
    assert (cols, len({t.y0 for t in parts})) == expected


def test_auto_grid_makes_gallery_faces_big_enough() -> None:
    assert auto_grid(1920, 1080, TilingSettings()) == (3, 2)
    assert auto_grid(640, 480, TilingSettings()) == (3, 2)
    assert auto_grid(200, 200, TilingSettings()) == (1, 1)  # too small to cut
    assert len(make_tiles(200, 200, TilingSettings())) == 1


def test_without_full_frame() -> None:
    tiles = make_tiles(1920, 1080, TilingSettings(grid=(3, 2), include_full_frame=False))
    assert len(tiles) == 6 and Tile(0, 0, 1920, 1080) not in tiles


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        TilingSettings(overlap=0.95)
    with pytest.raises(ValueError):
        TilingSettings(grid=(0, 2))


@pytest.mark.parametrize(("text", "expected"), [
    ("off", None), ("", None), (" None ", None), ("0", None),
    ("auto", TilingSettings()), (" AUTO", TilingSettings()),
    ("3x2", TilingSettings(grid=(3, 2))), ("1X1", TilingSettings(grid=(1, 1))),
    ("adaptive", ADAPTIVE), (" Adaptive ", ADAPTIVE),
])
def test_the_tiles_setting_parses(text: str, expected: TilingSettings | None) -> None:
    assert TilingSettings.parse(text) == expected


@pytest.mark.parametrize("text", ["3", "3x", "x2", "0x2", "3x0", "-1x2", "three", "3x2x1"])
def test_a_bad_tiles_setting_names_the_setting(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        TilingSettings.parse(text)
    assert str(info.value) == (
        f"tiles: expected adaptive, off, auto or CxR such as 3x2, got {text!r}")


def test_adaptive_is_the_default_and_auto_stays_as_it_was() -> None:
    default = TilingSettings.parse(DEFAULTS.tiles)
    assert default is not None and default.adaptive
    auto = TilingSettings.parse("auto")
    assert auto is not None and not auto.adaptive and auto.include_full_frame
    assert make_tiles(1920, 1080, auto) == make_tiles(1920, 1080, default)  # same grid
    tiles = adaptive_tiles(1920, 1080, default)  # the untiled pass already saw the full frame
    assert len(tiles) == 6 and Tile(0, 0, 1920, 1080) not in tiles


@pytest.mark.parametrize(("size", "widths", "expected"), [
    ((1920, 1080), [], True),  # nobody found: a gallery crowd may be there, too small
    ((1920, 1080), [0.12, 0.10], True),  # only small faces: others further back are likely
    ((1920, 1080), [0.32], False),  # one large face: nothing to gain, costs what untiled costs
    ((1920, 1080), [0.12, 0.30], False),  # a large face among small ones
    ((1920, 1080), [SMALL_FACE], False),  # the threshold itself is large
    ((640, 360), [], True),  # a 640x360 camera still cuts into 3x2 tiles of 256x206 px
    ((400, 225), [0.1], True),  # 2x1
    ((320, 180), [], False),  # too small to cut: tiles would be under 192 px
    ((200, 200), [], False),
])
def test_small_faces_likely(size: tuple[int, int], widths: list[float], expected: bool) -> None:
    assert small_faces_likely(*size, widths, ADAPTIVE) is expected
    assert can_tile(*size, ADAPTIVE) is (size[0] >= 400)


def test_a_stream_is_rechecked_once_a_second_without_a_crowd() -> None:
    schedule = TilingSchedule(ADAPTIVE)
    tiled = []
    for i in range(91):  # 3 s at 30 fps, nobody in view: tiles find nothing
        t = i / 30
        if schedule.should_tile(t, 1920, 1080, []):
            tiled.append(i)
            schedule.record(t, new_faces=0)
    assert tiled == [0, 30, 60, 90]
    assert not schedule.crowd


def test_a_stream_with_a_large_face_is_never_tiled() -> None:
    schedule = TilingSchedule(ADAPTIVE)
    assert not any(schedule.should_tile(i / 30, 1920, 1080, [0.3]) for i in range(90))
    small = TilingSchedule(ADAPTIVE)  # the same at 320x180: too small to cut
    assert not any(small.should_tile(i / 30, 320, 180, []) for i in range(90))


def test_a_crowd_keeps_every_frame_tiled_until_it_has_gone_for_the_hold_time() -> None:
    schedule = TilingSchedule(ADAPTIVE)
    tiled = []
    for i in range(150):  # 5 s at 30 fps; the crowd is there for the first 2 s
        t = i / 30
        widths = [0.3] if 45 <= i < 60 else []  # someone steps close to the camera meanwhile
        if schedule.should_tile(t, 1920, 1080, widths):
            tiled.append(i)
            schedule.record(t, new_faces=6 if i < 60 else 0)
    # every frame while the crowd is seen and for the hold time after, the large face too
    assert tiled[:89] == list(range(89))
    assert not schedule.crowd
    later = [i for i in tiled if i >= 88]
    assert (np.diff(later) >= 29).all()  # then one check a second
    assert 2 <= len(later) <= 4


def test_a_followed_crowd_has_its_tiles_scanned_once_a_second() -> None:
    schedule = TilingSchedule(ADAPTIVE)
    scans = []
    for i in range(61):  # 2 s at 30 fps, a crowd in view and followed between scans
        t = i / 30
        assert schedule.should_tile(t, 1920, 1080, [])
        if schedule.scan_due(t):
            scans.append(i)
            schedule.scanned(t)
        schedule.record(t, new_faces=6)
    assert scans == [0, 30, 60]
    schedule.should_tile(0.5, 1920, 1080, [])  # time goes back: a new stream, scanned at once
    assert schedule.scan_due(0.5)


def test_time_going_back_starts_the_schedule_afresh() -> None:
    schedule = TilingSchedule(ADAPTIVE)
    assert schedule.should_tile(10.0, 1920, 1080, [])
    schedule.record(10.0, new_faces=0)
    assert not schedule.should_tile(10.5, 1920, 1080, [])
    assert schedule.should_tile(0.0, 1920, 1080, [])  # a new stream: checked at once


def test_coordinate_mapping_round_trips() -> None:
    rng = np.random.default_rng(1)
    region = Tile(640, 360, 1280, 900).region
    pts = rng.uniform(0, 1, (50, 2))
    frame_pts = to_frame(pts, region, 1920, 1080)
    assert frame_pts[:, 0].min() >= 640 / 1920 and frame_pts[:, 0].max() <= 1280 / 1920
    np.testing.assert_allclose(from_frame(frame_pts, region, 1920, 1080), pts, atol=1e-12)
    np.testing.assert_allclose(to_frame(np.array([[0.5, 0.5]]), region, 1920, 1080),
                               [[960 / 1920, 630 / 1080]])


def test_merge_removes_duplicates_and_keeps_distinct_faces() -> None:
    w, h = 1920, 1080
    full = (0.0, 0.0, float(w), float(h))
    left_tile = Tile(0, 0, 768, 617).region
    # A face cut by the left tile's right edge, seen whole in the full frame.
    whole = (0.38, 0.30, 0.44, 0.42)
    cut = (0.38, 0.30, 0.40, 0.42)
    other = (0.60, 0.30, 0.66, 0.42)
    candidates = [
        (cut, face_score(cut, left_tile, w, h), "cut"),
        (whole, face_score(whole, full, w, h), "whole"),
        (other, face_score(other, full, w, h), "other"),
        ((0.601, 0.301, 0.659, 0.419), face_score(other, full, w, h) - 0.01, "other-again"),
    ]
    kept = merge_faces(candidates)
    assert sorted(p for _, _, p in kept) == ["other", "whole"]


def test_face_score_ranks_whole_faces_then_confidence_then_extent() -> None:
    w, h = 1920, 1080
    tile = (0.0, 0.0, 960.0, 540.0)
    whole, cut = (0.20, 0.20, 0.25, 0.29), (0.47, 0.20, 0.50, 0.29)  # cut: at the tile's edge
    # a face seen whole wins over one cut by the tile's edge, however confident the cut one
    assert face_score(whole, tile, w, h, 0.5) > face_score(cut, tile, w, h, 1.0)
    # two whole views of a face: the more confident wins, though it is a little smaller
    larger = (0.19, 0.19, 0.26, 0.30)
    assert face_score(whole, tile, w, h, 0.9) > face_score(larger, tile, w, h, 0.8)
    # the same confidence: the larger view wins
    assert face_score(larger, tile, w, h, 0.8) > face_score(whole, tile, w, h, 0.8)


def test_center_inside_counts_as_same_face() -> None:
    big = (0.1, 0.1, 0.3, 0.4)
    small = (0.15, 0.2, 0.2, 0.25)  # low IoU, centre inside
    assert iou(big, small) < 0.3
    assert len(merge_faces([(big, 1.0, "a"), (small, 0.5, "b")])) == 1


def test_bbox_of_clips_to_frame() -> None:
    assert bbox_of(np.array([[-0.1, 0.2], [0.5, 1.3]])) == (0.0, 0.2, 0.5, 1.0)


def test_upscale_and_pad_region_maps_back() -> None:
    img = np.zeros((48, 64, 3), dtype=np.uint8)
    img[10:20, 30:40] = 255
    big, region = upscale_and_pad(img, 192, 0.25)
    assert min(big.shape[:2]) == 288  # 192 + 2 * 48
    ys, xs = np.nonzero(big[:, :, 0] > 127)
    pts = np.array([[xs.min() / big.shape[1], ys.min() / big.shape[0]],
                    [(xs.max() + 1) / big.shape[1], (ys.max() + 1) / big.shape[0]]])
    back = to_frame(pts, region, 64, 48)
    np.testing.assert_allclose(back, [[30 / 64, 10 / 48], [40 / 64, 20 / 48]], atol=0.02)


def test_a_tile_crop_is_a_contiguous_copy() -> None:
    """A one-column grid's tiles span the frame's full width, where slicing gives a view."""
    frame = np.full((1000, 300, 3), 200, np.uint8)
    frame.setflags(write=False)  # as a frame shared with the preview may be
    crop = Tile(0, 0, 300, 600).crop(frame)
    assert not np.shares_memory(crop, frame) and crop.flags["C_CONTIGUOUS"]
    crop[:] = 0
    assert frame.min() == 200
