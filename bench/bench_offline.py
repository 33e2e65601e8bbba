"""The offline render's real-time factor at 720p and 1080p, against a bare render+encode loop.

The rig's side is `render_offline` exactly as `essence render` runs it (the scripted
audience, the show's autopilot, the stage drawn offscreen, read back, H.264 through PyAV,
no sound, no contact sheet) holding one visual; the bare side draws the same shader into a
framebuffer of the same size, reads it back and encodes it with PyAV's libx264 at the
writer's settings (crf 18, veryfast), nothing else. Both are timed as whole jobs, from the
GL context's creation (about 2 s on llvmpipe) to the closed file. Real-time factor = seconds
of video per second of work; the ratio is rig time / bare time for the same frames.

Usage: .venv/bin/python bench/bench_offline.py [--seconds 4] [--visual enclave]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from bare import BareShader
from report import Figure, gl_renderer, publish

from performance.config import Settings
from performance.runtime.offline import RenderJob, render_offline

FPS = 30


def rig_seconds(visual: str, size: tuple[int, int], seconds: float, out: Path) -> float:
    """Wall seconds the rig takes to render `seconds` of video."""
    job = RenderJob(input="scripted", out=out, seconds=seconds, size=size, fps=FPS,
                    visual=visual, contact_frames=0)
    started = time.perf_counter()
    render_offline(job, Settings(sound=False))
    return time.perf_counter() - started


def bare_seconds(visual: str, size: tuple[int, int], seconds: float, out: Path) -> float:
    """Wall seconds of draw -> read -> encode for the same number of frames."""
    from performance.render.headless import create_headless_context

    started = time.perf_counter()  # the whole job, as the rig's: context, shader, encoder
    ctx = create_headless_context()
    shader = BareShader(ctx, visual, size)
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "veryfast"}
        for i in range(round(seconds * FPS)):
            shader.step(i)
            rgb = np.frombuffer(shader.fbo.read(components=3), np.uint8).reshape(
                size[1], size[0], 3)
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    elapsed = time.perf_counter() - started
    shader.release()
    ctx.release()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="video seconds per render")
    parser.add_argument("--visual", default="enclave")
    args = parser.parse_args(argv)
    renderer = gl_renderer()  # the first EGL context pays Mesa's one-time start-up (~2 s)
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in ((1280, 720), (1920, 1080)):
            rig = rig_seconds(args.visual, size, args.seconds, Path(tmp) / "rig.mp4")
            bare = bare_seconds(args.visual, size, args.seconds, Path(tmp) / "bare.mp4")
            figures.append(Figure(
                f"offline render time, {args.visual} {size[0]}x{size[1]} @ {FPS} fps", rig,
                bare, unit="s", note=f"real-time factor: rig {args.seconds / rig:.2f}, bare "
                                     f"{args.seconds / bare:.2f}"))
    publish(f"Offline render of {args.seconds:g} s of video, rig vs bare draw+read+encode",
            figures, renderer)
    for f in figures:
        print(f"  {f.figure}: {f.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
