"""The live rig under load: perception inside a running show, latency, and render times.

One run, all on this machine's renderer (headless EGL; llvmpipe without a GPU), the visual
and size below, a real face clip looping as the camera:

1. quiet: the rig's detector alone on the clip's frames (nothing rendering) -> the bare
   inference time per frame;
2. the rig (`run_live`) with perception in its own process (the default), then in a
   thread (what it replaces): inference per frame inside the show, capture -> emotion and
   capture -> presented p50/p95, perception frames per second, frame times;
3. the rig with the scripted audience (no perception) on the same visual: frame times;
4. a naive loop: read a frame, detect, draw, in one thread: its capture -> presented;
5. a bare moderngl loop drawing the same shader: frame times.

Figures: detection in the show / quiet (goal 1.3); capture -> emotion p95 / quiet
inference (goal: 1.5 x inference + one frame period, as a ratio); render p99 with
perception / without (goal 1.15), and against the bare shader loop.

Usage: .venv/bin/python bench/bench_live.py [--seconds 15] [--visual enclave] [--size 1280x720]
       [--renderer-nice N] [--renderer-cpus any|others]   (the rig's settings)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import cv2
import numpy as np
from bare import BareShader
from report import ROOT, Figure, gl_renderer, publish

from performance.config import Isolation, RendererCpus, Settings
from performance.core.stats import percentile
from performance.core.types import Frame
from performance.runtime.framestats import StatsSummary
from performance.runtime.live import LiveOptions, run_live
from performance.runtime.pipeline import SCRIPTED, landmarker_factory

CLIP = ROOT / ".cache" / "testdata" / "WolfgangLanger_Pexels.mp4"


def clip_frames(limit: int) -> list[np.ndarray]:
    """The clip's first `limit` frames, RGB."""
    capture = cv2.VideoCapture(str(CLIP))
    frames = []
    while len(frames) < limit:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise SystemExit(f"{CLIP}: no frames (run `make testdata`)")
    return frames


def quiet_inference(frames: list[np.ndarray], settings: Settings) -> float:
    """Median ms per frame of the rig's detector with nothing else running."""
    detector = landmarker_factory(settings, "video")()
    times = []
    try:
        for i, image in enumerate(frames):
            started = time.perf_counter()
            detector.detect(Frame(image=image, timestamp=i / 25, index=i, source="clip"))
            if i >= 5:
                times.append((time.perf_counter() - started) * 1000.0)
    finally:
        detector.close()
    return float(np.median(times))


def live(visual: str, size: tuple[int, int], seconds: float, isolation: Isolation | None,
         settings: Settings) -> StatsSummary:
    """A headless live run at 60 fps; `isolation` None: the scripted audience, no camera."""
    options = LiveOptions(input=SCRIPTED if isolation is None else str(CLIP),
                          loop_video=True, headless=True, size=size, seconds=seconds,
                          visual=visual, scripted_faces=1)
    chosen = settings if isolation is None else replace(settings, perception=isolation.value)
    report = run_live(options, chosen, report=lambda _: None)
    return report.stats


def naive(frames: list[np.ndarray], visual: str, size: tuple[int, int],
          settings: Settings) -> tuple[float, float]:
    """Read, detect, draw, in one thread: (capture -> presented p95 ms, frames per second)."""
    from performance.render.headless import create_headless_context

    ctx = create_headless_context()
    shader = BareShader(ctx, visual, size)
    detector = landmarker_factory(settings, "video")()
    latencies = []
    started = time.perf_counter()
    try:
        for i, image in enumerate(frames):
            captured = time.perf_counter()
            detector.detect(Frame(image=image, timestamp=i / 25, index=i, source="clip"))
            shader.step(i)
            latencies.append(time.perf_counter() - captured)
    finally:
        elapsed = time.perf_counter() - started
        detector.close()
        shader.release()
        ctx.release()
    return percentile(sorted(latencies), 95) * 1000.0, len(frames) / elapsed


def bare_render(visual: str, size: tuple[int, int], frames: int) -> list[float]:
    """Frame times (ms, sorted) of the bare shader loop."""
    from performance.render.headless import create_headless_context

    ctx = create_headless_context()
    shader = BareShader(ctx, visual, size)
    times = []
    try:
        for i in range(frames):
            started = time.perf_counter()
            shader.step(i)
            times.append((time.perf_counter() - started) * 1000.0)
    finally:
        shader.release()
        ctx.release()
    return sorted(times[5:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each live run")
    parser.add_argument("--visual", default="enclave")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--renderer-nice", type=int, default=Settings().renderer_nice,
                        help="the renderer_nice setting of the rig's runs")
    parser.add_argument("--renderer-cpus", choices=[c.value for c in RendererCpus],
                        default=Settings().renderer_cpus,
                        help="the renderer_cpus setting of the rig's runs (the naive and bare"
                             " loops after them start as many renderer threads)")
    args = parser.parse_args(argv)
    size = (int(args.size.split("x")[0]), int(args.size.split("x")[1]))
    settings = Settings(sound=False, renderer_nice=args.renderer_nice,
                        renderer_cpus=args.renderer_cpus)
    frames = clip_frames(80)
    quiet_ms = quiet_inference(frames, settings)
    runs = {iso: live(args.visual, size, args.seconds, iso, settings)
            for iso in (Isolation.PROCESS, Isolation.THREAD, None)}
    naive_p95, naive_fps = naive(frames[:40], args.visual, size, settings)
    bare = bare_render(args.visual, size, 60)
    where = f"{args.visual} {size[0]}x{size[1]}"
    figures = []
    for iso in (Isolation.PROCESS, Isolation.THREAD):
        s = runs[iso]
        assert s.inference_p50_ms is not None and s.emotion_p95_ms is not None, iso
        period = s.p50_ms
        goal = (1.5 * quiet_ms + period) / quiet_ms
        figures += [
            Figure(f"detection inside the show ({iso.value}), {where}", s.inference_p50_ms,
                   quiet_ms, goal=1.3 if iso is Isolation.PROCESS else None,
                   note="bare: the same detector in a quiet process"),
            Figure(f"capture->emotion p95 ({iso.value}), {where}", s.emotion_p95_ms, quiet_ms,
                   goal=round(goal, 2) if iso is Isolation.PROCESS else None,
                   note=f"goal: 1.5 x inference + one frame ({period:.0f} ms); perception "
                        f"{s.perception_fps:.1f} fps"),
            Figure(f"capture->presented p95 ({iso.value}) vs a naive read-detect-draw loop",
                   s.presented_p95_ms or 0.0, naive_p95,
                   note=f"naive loop {naive_fps:.1f} fps, the rig {s.fps:.1f} fps"),
            Figure(f"render p99 with perception ({iso.value}) vs without, {where}", s.p99_ms,
                   runs[None].p99_ms, goal=1.15 if iso is Isolation.PROCESS else None,
                   note=f"p50 {s.p50_ms:.1f} vs {runs[None].p50_ms:.1f} ms; {s.fps:.1f} vs"
                        f" {runs[None].fps:.1f} fps"),
        ]
    figures.append(Figure(f"render p99 with perception (process) vs a bare shader loop, {where}",
                          runs[Isolation.PROCESS].p99_ms, percentile(bare, 99),
                          note=f"bare p50 {percentile(bare, 50):.1f} ms"))
    publish(f"The live rig under load ({args.seconds:.0f} s runs, a real clip as the camera)",
            figures, gl_renderer())
    for iso, s in runs.items():
        print(f"  {iso.value if iso else 'no perception'}: {s.format()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
