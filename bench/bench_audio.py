"""Benchmark: the audio callback's share of the block period while the rig renders and infers.

Plays the synth on the real PortAudio stream of the null ALSA device
(tests/data/alsa-null.conf) while, in threads of the same process like the live rig, an EGL
render loop draws the shaders (performance.render) and MediaPipe's Face Landmarker reads a
real face clip. One run, four phases, reported as ratios:

1. the synth alone (render_into, no stream): cost per block / block period;
2. the load alone: render frames/s and inferences/s;
3. load + live stream in the render's process (AudioOutput): callback time / block period
   (mean, p99, max), late callbacks (slower than a block period: a real card would
   underflow), PortAudio underflows, and the load's rates relative to phase 2;
4. the same with the stream in its own process (AudioProcess, as the live rig plays it);
   the run passes when its mean share is below 0.25 with no callback errors.

The null PCM has no clock: PortAudio calls back as soon as the previous callback returns, so
phases 3 and 4 are a worst case (the audio thread never idles; a card paced at the sample
rate would run it only share_mean of the time).

Usage: .venv/bin/python bench/bench_audio.py [--seconds 8] [--block 512]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("ALSA_CONFIG_PATH", str(ROOT / "tests" / "data" / "alsa-null.conf"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from report import Figure, publish  # noqa: E402  (bench/'s own module)

from performance.audio.device import AudioOutput, AudioStats  # noqa: E402
from performance.audio.params import AudioParams  # noqa: E402
from performance.audio.process import AudioProcess  # noqa: E402
from performance.audio.synth import Synth  # noqa: E402
from performance.config import DEFAULTS  # noqa: E402
from performance.core.types import CrowdReading  # noqa: E402

BUSY = AudioParams(CrowdReading(valence=-0.6, arousal=0.9, chaos=0.9, face_count=6, presence=1.0),
                   level=1.0)


def synth_alone(synth: Synth, block: int, blocks: int = 400) -> float:
    """Mean render_into time per block as a share of the block period."""
    out = np.zeros((block, synth.channels), dtype=np.float32)
    for _ in range(20):
        synth.render_into(out, BUSY)
    start = time.perf_counter()
    for _ in range(blocks):
        synth.render_into(out, BUSY)
    return (time.perf_counter() - start) / blocks / (block / synth.sample_rate)


class Load:
    """Render and perception threads counting their work until stopped."""

    def __init__(self, clip: Path | None, model: Path | None) -> None:
        self.clip, self.model = clip, model
        self.frames = 0
        self.inferences = 0
        self.stop = threading.Event()
        self.ready = threading.Barrier(3 if clip and model else 2)
        self.threads = [threading.Thread(target=self._render, daemon=True)]
        if clip and model:
            self.threads.append(threading.Thread(target=self._perceive, daemon=True))

    def start(self) -> None:
        for t in self.threads:
            t.start()
        self.ready.wait()

    def counts(self) -> tuple[int, int]:
        return self.frames, self.inferences

    def _render(self) -> None:
        from performance.render.frame_uniforms import FrameUniforms
        from performance.render.headless import OffscreenTarget, create_headless_context
        from performance.render.program import ShaderLibrary
        from performance.render.renderer import Renderer

        ctx = create_headless_context()
        library = ShaderLibrary(ctx)
        renderer = Renderer(ctx, library)
        target = OffscreenTarget(ctx, 640, 360)
        visuals = [v for v in library.visuals() if v != "fallback"] or ["essence_module"]
        crowd = CrowdReading(face_count=4, valence=-0.3, arousal=0.8, chaos=0.7, presence=1.0)
        self.ready.wait()
        i = 0
        while not self.stop.is_set():
            state = FrameUniforms.from_crowd(crowd, time=i / 30, delta=1 / 30, frame=i,
                                           resolution=(640, 360))
            renderer.render(state, target.framebuffer, visual=visuals[(i // 60) % len(visuals)])
            target.read_rgb()
            self.frames += 1
            i += 1

    def _perceive(self) -> None:
        from performance.perception.landmarker import FaceLandmarkerAdapter
        from performance.sources.video import VideoFileSource

        assert self.clip and self.model
        source = VideoFileSource(self.clip, loop=True)
        with FaceLandmarkerAdapter(self.model, max_faces=4) as detector:
            self.ready.wait()
            while not self.stop.is_set():
                frame = source.read()
                if frame is None:
                    continue
                try:
                    detector.detect(frame)
                except Exception as exc:  # report and end the load thread
                    print(f"perception stopped: {exc}")
                    return
                self.inferences += 1


def measure(load: Load, seconds: float) -> tuple[float, float]:
    f0, i0 = load.counts()
    t0 = time.perf_counter()
    time.sleep(seconds)
    f1, i1 = load.counts()
    dt = time.perf_counter() - t0
    return (f1 - f0) / dt, (i1 - i0) / dt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of phases 2, 3 and 4")
    parser.add_argument("--block", type=int, default=DEFAULTS.audio_block,
                        help="frames per callback")
    args = parser.parse_args()
    clip = ROOT / ".cache" / "testdata" / "single_face.mp4"
    model_env = os.environ.get("ESSENCE_FACE_MODEL")
    shared_model = ROOT.parent / "shared" / "models" / "face_landmarker.task"
    model = Path(model_env) if model_env else shared_model
    if not clip.is_file() or not model.is_file():
        print(f"(no clip or face model at {clip} / {model}: render load only)")
        clip = model = None  # type: ignore[assignment]

    synth = Synth()
    alone = synth_alone(synth, args.block)
    period_ms = 1000.0 * args.block / synth.sample_rate
    print(f"1. synth alone: {alone:.3f} of the {period_ms:.2f} ms block period")
    load = Load(clip, model)
    load.start()
    fps0, ips0 = measure(load, args.seconds)
    print(f"2. load alone: {fps0:.1f} render frames/s, {ips0:.1f} inferences/s")
    output = AudioOutput(Synth(synth.sample_rate, 2, 0), blocksize=args.block)
    if not output.start():
        print(f"no stream: {output.reason}")
        return 1
    output.publish(BUSY)
    fps1, ips1 = measure(load, args.seconds)
    output.stop()
    report(f"3. live stream in the render's process + load, on {output.device}",
           output.stats(), fps1 / max(fps0, 1e-9), ips1 / max(ips0, 1e-9))
    child = AudioProcess(blocksize=args.block, sample_rate=synth.sample_rate)
    if not child.start():
        print(f"no stream: {child.reason}")
        return 1
    child.publish(BUSY)
    fps2, ips2 = measure(load, args.seconds)
    child.stop()
    load.stop.set()
    s = child.stats()
    report("4. live stream in its own process (AudioProcess) + load", s,
           fps2 / max(fps0, 1e-9), ips2 / max(ips0, 1e-9))
    ok = s.share_mean < 0.25 and s.errors == 0
    print("PASS (4: mean share < 0.25, no errors)" if ok else "FAIL")
    inside = output.stats()
    publish("\nAudio callback under the render + inference load vs the synth alone", [
        Figure(f"audio callback per block, {where}, under load", x.share_mean * period_ms,
               alone * period_ms, note=f"share of the {period_ms:.1f} ms block: mean "
               f"{x.share_mean:.3f}, p99 {x.share_p99:.3f}; late {x.late} of {x.callbacks}; "
               f"underflows {x.underflows}; errors {x.errors}")
        for where, x in (("own process", s), ("render's process", inside))])
    return 0 if ok else 1


def report(title: str, s: AudioStats, render_ratio: float, inference_ratio: float) -> None:
    """Print one phase's callback figures."""
    print(f"{title} ({s.callbacks} callbacks):")
    print(f"   callback / block period: mean {s.share_mean:.3f}, "
          f"p99 {s.share_p99:.3f}, max {s.share_max:.3f} "
          f"(goal: mean < 0.25)")
    print(f"   late callbacks (> 1 period): {s.late} = {s.late / max(s.callbacks, 1):.4f}; "
          f"underflows reported by PortAudio: {s.underflows}; errors: {s.errors}")
    print(f"   load with audio / without: render {render_ratio:.2f}, "
          f"inference {inference_ratio:.2f} (unpaced null device: worst case)")


if __name__ == "__main__":
    sys.exit(main())
