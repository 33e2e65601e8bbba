"""A software renderer's threads can be made to give way, and nothing else is (core/priority.py)."""

from __future__ import annotations

import os
import threading

import moderngl
import pytest

from performance.core.priority import RENDERER_THREADS, thread_names, yield_renderer_threads

pytestmark = pytest.mark.gl


def test_a_software_renderers_threads_give_way_and_nothing_else_does(
        gl: moderngl.Context) -> None:
    renderer = gl.info["GL_RENDERER"]
    workers = [tid for tid, name in thread_names().items() if name.startswith(RENDERER_THREADS)]
    main = threading.get_native_id()
    main_nice = os.getpriority(os.PRIO_PROCESS, main)
    before = {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in workers}
    assert yield_renderer_threads(0) == 0  # 0: the setting's "as the show's"
    assert {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in workers} == before
    lowered = yield_renderer_threads(5)
    assert lowered == len(workers)
    if "llvmpipe" in renderer:
        assert lowered >= 1, thread_names()
    assert all(os.getpriority(os.PRIO_PROCESS, tid) >= 5 for tid in workers)
    assert os.getpriority(os.PRIO_PROCESS, main) == main_nice
