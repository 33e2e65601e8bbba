"""Rewrite shaders/README.md and shaders/lib/uniforms.glsl from the uniform table.

Usage: python tools/gen_shader_docs.py   (same as: python -m performance.render.uniforms)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from performance.render.uniforms import write_generated

if __name__ == "__main__":
    for path in write_generated():
        print(f"wrote {path}")
