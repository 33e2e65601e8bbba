"""The live stage's frame cost on the blackout visual, against a bare moderngl loop.

Headless (EGL), at 640x360 and 1280x720, the output the size of the stage: the rig's path
is `GLStage.draw` (the show's uniforms, the renderer) then `CompositorOutput.present` (the
compositor's pass, the overlay layers, `ctx.finish()`), exactly as the live loop calls
them. The bare loop draws the same fragment shader (shaders/blackout.frag) with a
full-screen triangle into a framebuffer of the same size and calls `ctx.finish()`. Blocks
of frames alternate between the two (the order swapped every round) in one process and one
context; the figures are medians of the per-frame times. A third figure adds the camera
indicator (the one overlay the audience's window shows while a camera is the source).

Prints a markdown table, then one JSON line per figure.
Usage: .venv/bin/python bench/bench_stage.py [--rounds N] [--block N]
"""

from __future__ import annotations

import argparse

import moderngl
from bare import BareShader
from report import Figure, interleaved, publish

from performance.core.status import InputState, InputStatus
from performance.core.types import RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.preview import OperatorView
from performance.render.context import Compositor
from performance.render.headless import (
    create_headless_context,
)
from performance.runtime.stage import CompositorOutput, GLStage
from performance.show.frame import Layer, ShowFrame

VISUAL = "blackout"
WARMUP = 20  # frames of each loop before timing



class Rig:
    """The rig's stage and output, headless, as `run_live` builds them."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], *, camera: bool) -> None:
        self.ctx = ctx
        self.compositor = Compositor(ctx, size, output=None, output_size=size)
        self.stage = GLStage(ctx, self.compositor, mirror=False)
        view = OperatorView(operator=False, camera_live=lambda: camera)
        self.output = CompositorOutput(ctx, self.compositor, view)
        self.emotion = RoomEmotion(timestamp=0.0)
        self.status = InputStatus(InputState.SCRIPTED)

    def step(self, frame: int) -> None:
        now = frame / 60.0
        show = ShowFrame(time=now, current=Layer(VISUAL))
        self.stage.draw(show, self.emotion, delta=1 / 60.0, frame=frame)
        self.output.present(OperatorInfo(now=now, frame=frame, show=show,
                                         emotion=self.emotion, input_status=self.status,
                                         messages=(), stats=None, observations=None))

    def release(self) -> None:
        self.stage.release()
        self.compositor.release()


def measure(ctx: moderngl.Context, size: tuple[int, int], *, camera: bool, rounds: int,
            block: int) -> tuple[float, float]:
    rig, bare = Rig(ctx, size, camera=camera), BareShader(ctx, VISUAL, size)
    try:
        return interleaved(rig.step, bare.step, rounds, block, warmup=WARMUP)
    finally:
        rig.release()
        bare.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="alternations per figure")
    parser.add_argument("--block", type=int, default=20, help="frames per block")
    args = parser.parse_args(argv)
    ctx = create_headless_context()
    renderer = str(ctx.info["GL_RENDERER"])
    cases = [(f"stage {VISUAL} {w}x{h}{', camera indicator' if camera else ''}", (w, h), camera)
             for (w, h), camera in (((640, 360), False), ((1280, 720), False),
                                    ((1280, 720), True))]
    results = []
    for name, size, camera in cases:
        rig_ms, bare_ms = measure(ctx, size, camera=camera, rounds=args.rounds,
                                  block=args.block)
        results.append((name, rig_ms, bare_ms))
    assert ctx.error == "GL_NO_ERROR", ctx.error
    ctx.release()
    frames = args.rounds * args.block
    publish(f"Stage frame, headless draw + present vs bare loop ({frames} frames each, "
            "medians)", [Figure(name, rig_ms, bare_ms, goal=None if "indicator" in name else 1.5)
                         for name, rig_ms, bare_ms in results], renderer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
