"""Every visual compiles, renders art (not one flat colour) and answers the audience."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import CrowdReading
from performance.render.frame_uniforms import FrameUniforms

pytestmark = pytest.mark.gl
W, H = 128, 72
TWO_FACES = ((0.2, 0.5, 0.7, 0.5, 0.12), (0.8, 0.5, -0.6, 0.3, 0.12))


def frame(renderer, target, visual: str, time: float = 2.5, faces=(),  # type: ignore[no-untyped-def]
          **crowd) -> np.ndarray:
    crowd.setdefault("presence", 1.0)
    state = FrameUniforms(resolution=(W, H), time=time, faces=faces, crowd=CrowdReading(**crowd))
    renderer.render(state, target.framebuffer, visual=visual, inputs={"grain": 0.0})
    return target.read_rgb().astype(np.float64)


def test_every_visual_renders(gl, library, renderer, target) -> None:  # type: ignore[no-untyped-def]
    names = library.visuals()
    assert {"essence_module", "enclave", "crowd_chaos", "blackout", "fallback"} <= set(names)
    for name in names:
        img = frame(renderer, target, name, faces=TWO_FACES, face_count=2.0)
        assert img.shape == (H, W, 3)
        if name == "blackout":
            assert img.max() == 0, name
        else:
            assert img.std() > 1.0, f"{name} renders one flat colour"
            assert img.max() > 20, f"{name} is black"
        if name not in ("blackout", "fallback"):
            assert len(library.inputs(name)) >= 2, name


def _warmth(img: np.ndarray) -> float:
    return float((img[..., 0] - img[..., 2]).mean())


def test_essence_warm_for_positive_cold_for_negative(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    warm = frame(renderer, target, "essence_module", valence=0.8)
    cold = frame(renderer, target, "essence_module", valence=-0.8)
    assert _warmth(warm) > _warmth(cold) + 10


def test_essence_flickers_with_arousal(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    def brightness_std(arousal: float) -> float:
        means = [frame(renderer, target, "essence_module", arousal=arousal, time=1.0 + t).mean()
                 for t in np.linspace(0.0, 2.0, 12)]
        return float(np.std(means))

    calm, excited = brightness_std(0.05), brightness_std(0.9)
    assert excited > 3.0 * calm and excited > 2.0, (calm, excited)


def _laplacian_energy(img: np.ndarray) -> float:
    g = img.mean(axis=2)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.abs(lap).mean())


def test_essence_fractures_with_chaos(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    calm = np.mean([_laplacian_energy(frame(renderer, target, "essence_module", chaos=0.0,
                                            time=t)) for t in (1.0, 2.0, 3.0)])
    broken = np.mean([_laplacian_energy(frame(renderer, target, "essence_module", chaos=0.95,
                                              time=t)) for t in (1.0, 2.0, 3.0)])
    assert broken > 1.3 * calm, (calm, broken)


def test_enclave_opens_with_positive_crowd(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    pos = frame(renderer, target, "enclave", valence=0.8, face_count=3)
    neg = frame(renderer, target, "enclave", valence=-0.8, face_count=3)
    lum_pos, lum_neg = pos.mean(axis=2), neg.mean(axis=2)
    assert (lum_pos > 100).sum() > 1.25 * (lum_neg > 100).sum()
    assert lum_pos.mean() > lum_neg.mean()
    few = frame(renderer, target, "enclave", valence=0.0, face_count=0)
    many = frame(renderer, target, "enclave", valence=0.0, face_count=6)
    assert many.mean() > few.mean()


def _window(img: np.ndarray, x: float, y: float, r: int = 3) -> float:
    """Mean brightness around a position in 0..1 picture space with y up."""
    cx, cy = int(x * W), int((1.0 - y) * H)
    return float(img[cy - r: cy + r + 1, cx - r: cx + r + 1].mean())


def test_crowd_chaos_lights_each_face(gl, renderer, target) -> None:  # type: ignore[no-untyped-def]
    img = frame(renderer, target, "crowd_chaos", faces=TWO_FACES, face_count=2, chaos=0.5)
    empty = _window(img, 0.5, 0.15)
    assert _window(img, 0.2, 0.5) > empty + 60
    assert _window(img, 0.8, 0.5) > empty + 60
    moved = ((0.5, 0.2, 0.7, 0.5, 0.12), TWO_FACES[1])
    img2 = frame(renderer, target, "crowd_chaos", faces=moved, face_count=2, chaos=0.5)
    assert _window(img2, 0.5, 0.2) > _window(img2, 0.2, 0.5) + 60
    # Colour follows that face's valence: the positive face is warmer than the negative one.
    cx0, cx1, cy = int(0.2 * W), int(0.8 * W), H // 2
    ring0 = img[cy - 8: cy + 9, cx0 - 8: cx0 + 9]
    ring1 = img[cy - 8: cy + 9, cx1 - 8: cx1 + 9]
    assert _warmth(ring0) > _warmth(ring1) + 10
