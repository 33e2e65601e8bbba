"""One EGL context for the whole GL suite; every test using `gl` checks ctx.error around it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

W, H = 128, 72


@pytest.fixture(scope="session")
def session_ctx():  # type: ignore[no-untyped-def]
    from performance.render.headless import create_headless_context

    ctx = create_headless_context()
    yield ctx
    ctx.release()


@pytest.fixture
def gl(session_ctx):  # type: ignore[no-untyped-def]
    assert session_ctx.error == "GL_NO_ERROR"
    yield session_ctx
    assert session_ctx.error == "GL_NO_ERROR"


@pytest.fixture(scope="session")
def library(session_ctx):  # type: ignore[no-untyped-def]
    from performance.render.program import ShaderLibrary

    lib = ShaderLibrary(session_ctx)
    assert lib.errors() == {}
    return lib


@pytest.fixture(scope="session")
def renderer(session_ctx, library):  # type: ignore[no-untyped-def]
    from performance.render.renderer import Renderer

    return Renderer(session_ctx, library)


@pytest.fixture
def target(gl) -> Iterator:  # type: ignore[no-untyped-def]
    from performance.render.headless import OffscreenTarget

    tgt = OffscreenTarget(gl, W, H)
    yield tgt
    tgt.release()


@pytest.fixture
def made(gl) -> Iterator[list]:  # type: ignore[no-untyped-def]
    """GL things a test made (anything with `release()`), released after it."""
    out: list = []
    yield out
    for thing in out:
        thing.release()
