"""The projector warp's cost: the final pass to a 1920x1080 output with a calibration
against the same final pass without one, in the same run.

Headless (EGL), stage and output 1920x1080; the stage holds one drawn frame (the enclave
visual, drawn once through `GLStage.draw`). Each timed frame is the compositor's final pass
(`Compositor.begin`) and `ctx.finish()`: unwarped, the compositing pass (a letterboxed quad,
`composite=True`: the pass the rig takes whenever the output is not drawn into directly);
warped, the warp pass (the corner-pin homography inverted per fragment; the second figure
adds a 5x5 warp mesh, soft edges and a mask). Blocks of frames alternate between the two
(order swapped every round); the figures are medians.

Prints a markdown table, then one JSON line per figure.
Usage: .venv/bin/python bench/bench_warp.py [--rounds N] [--block N]
"""

from __future__ import annotations

import argparse

import moderngl
from report import Figure, interleaved, publish

from performance.core.types import RoomEmotion
from performance.render.context import Compositor
from performance.render.headless import create_headless_context
from performance.runtime.stage import GLStage
from performance.show.frame import Layer, ShowFrame
from performance.venue.projector import Mesh, ProjectorCalibration, SoftEdges

SIZE = (1920, 1080)
VISUAL = "enclave"
WARMUP = 10
CORNERS = ((0.05, 0.03), (0.97, 0.08), (0.93, 0.98), (0.02, 0.9))
PIN = ProjectorCalibration(size=SIZE, corners=CORNERS)
FULL = ProjectorCalibration(
    size=SIZE, corners=CORNERS, mesh=Mesh.flat(5, 5).moved(2, 2, (0.01, -0.01)),
    edges=SoftEdges(left=0.1, right=0.1, gamma=2.2),
    mask=((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 0.95), (0.0, 1.0)), gamma=1.1)



class Output:
    """The stage and the final pass to a headless 1080p output, with or without a warp."""

    def __init__(self, ctx: moderngl.Context, cal: ProjectorCalibration | None) -> None:
        self.ctx = ctx
        self.compositor = Compositor(ctx, SIZE, output_size=SIZE, composite=True)
        self.compositor.set_calibration(cal)
        self.stage = GLStage(ctx, self.compositor, mirror=False)
        show = ShowFrame(time=2.0, current=Layer(VISUAL))
        self.stage.draw(show, RoomEmotion(timestamp=2.0), delta=1 / 60.0, frame=1)

    def step(self, frame: int) -> None:
        self.compositor.begin()
        self.ctx.finish()

    def release(self) -> None:
        self.stage.release()
        self.compositor.release()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="alternations per figure")
    parser.add_argument("--block", type=int, default=20, help="frames per block")
    args = parser.parse_args(argv)
    ctx = create_headless_context()
    renderer = str(ctx.info["GL_RENDERER"])
    plain = Output(ctx, None)
    figures = []
    for name, cal in (("corner-pin", PIN), ("corner-pin + 5x5 mesh + soft edges + mask",
                                            FULL)):
        warped = Output(ctx, cal)
        rig_ms, bare_ms = interleaved(warped.step, plain.step, args.rounds, args.block,
                                      warmup=WARMUP)
        warped.release()
        figures.append(Figure(f"final pass 1920x1080, warped ({name}) vs unwarped", rig_ms,
                              bare_ms, goal=None))
    plain.release()
    assert ctx.error == "GL_NO_ERROR", ctx.error
    ctx.release()
    publish(f"Projector warp, final pass ({args.rounds * args.block} frames each, "
            "medians)", figures, renderer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
