"""The LiteRT adapter: the rig's only `import ai_edge_litert`.

Owns loading a `.tflite` model from bytes (already read and hashed by `model.py`) into a
LiteRT interpreter and running it: the expression network (`expression.py`) and the face
detector that the crowd tiling runs alone on its tiles (`detector.py`). The runtime is loaded
when a model is first made, so importing perception stays light; without it,
`runtime_missing` says why and each user falls back (the blendshapes read alone; MediaPipe's
own detector runs on the tiles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from performance.core.errors import ModelError
from performance.perception.native import quiet_native_stderr


def runtime_missing() -> str | None:
    """Why the LiteRT runtime cannot be used here, or None when it can."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError as exc:
        return f"the LiteRT runtime (ai-edge-litert) is not installed ({exc})"
    return None


class TfliteModel:
    """One model in one LiteRT interpreter; one thread calls `run` (not thread-safe).

    Raises ModelError naming `path` when LiteRT cannot load the bytes, ImportError when the
    runtime is missing (check `runtime_missing` first)."""

    def __init__(self, model: bytes, path: Path, *, threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        try:
            with quiet_native_stderr():  # LiteRT announces its XNNPACK delegate here
                self._net: Any = Interpreter(model_content=model, num_threads=threads)
                self._net.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{self.path}: LiteRT could not load it ({exc})") from exc
        self._input = self._net.get_input_details()[0]["index"]
        self.input_shape = tuple(int(n) for n in self._net.get_input_details()[0]["shape"])
        self._outputs = [d["index"] for d in self._net.get_output_details()]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """The model's outputs, in its own order, for one input tensor of `input_shape`."""
        self._net.set_tensor(self._input, tensor.reshape(self.input_shape).astype(np.float32,
                                                                                   copy=False))
        self._net.invoke()
        return [np.array(self._net.get_tensor(i)) for i in self._outputs]
