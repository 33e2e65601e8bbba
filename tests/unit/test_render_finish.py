"""Which renderers draw on the CPU (render/finish.py: the wait before sampling is theirs)."""

from __future__ import annotations

import pytest

from performance.render.finish import is_software


@pytest.mark.parametrize(("renderer", "software"), [
    ("llvmpipe (LLVM 15.0.6, 256 bits)", True),
    ("softpipe", True),
    ("Google SwiftShader", True),
    ("Apple Software Renderer", True),
    ("GDI Generic", True),
    ("NVIDIA H200/PCIe/SSE2", False),
    ("AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 17.0.6, DRM 3.54)", False),
    ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)", False),
    ("", False),
])
def test_the_software_renderers_are_told_from_gpus(renderer: str, software: bool) -> None:
    assert is_software(renderer) is software
