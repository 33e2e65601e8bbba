"""Finding, downloading and verifying the face model (`face_landmarker.task`). No MediaPipe.

Owns where the model comes from. `resolve_model_path` looks, in order, at:

1. the explicit option (config `face_model` / `--face-model`),
2. the `ESSENCE_FACE_MODEL` environment variable,
3. the user cache, `platformdirs.user_cache_dir(APP_NAME) / "face_landmarker.task"`,

and when none is given and the cache is empty it downloads the published model into the cache
(temp file, SHA-256 check, atomic rename). Every file is checked against MODEL_SHA256; a
verified (path, size, mtime) is remembered in `verified.json` in the cache folder so the
model is not re-hashed at every start. An explicit path that does not exist is an error; we
never fall back silently to another model.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import platformdirs

from performance.config import APP_NAME
from performance.core.errors import ModelError
from performance.core.files import write_atomic

MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
    "float16/1/face_landmarker.task"
)
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_FILENAME = "face_landmarker.task"
ENV_VAR = "ESSENCE_FACE_MODEL"
VERIFIED_FILENAME = "verified.json"
_CHUNK = 1 << 16


Opener = Callable[[str], Any]
"""Opens a URL and returns a context manager whose value has `read(n)` (like `urlopen`)."""


def default_cache_dir() -> Path:
    """The user cache folder of the rig (the model lives there when downloaded)."""
    return Path(platformdirs.user_cache_dir(APP_NAME))


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_memo: dict[tuple[str, int, int], str] = {}


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _load_verified(cache_dir: Path) -> dict[str, list[Any]]:
    try:
        data = json.loads((cache_dir / VERIFIED_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store_verified(cache_dir: Path, key: tuple[str, int, int], digest: str) -> None:
    data = _load_verified(cache_dir)
    data[key[0]] = [key[1], key[2], digest]
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-hash next start
        write_atomic(cache_dir / VERIFIED_FILENAME, json.dumps(data, indent=1))


def verify_model(
    path: Path, *, expected: str = MODEL_SHA256, cache_dir: Path | None = None
) -> Path:
    """Return `path` if its SHA-256 is `expected`; raise ModelError naming both hashes if not.

    A (path, size, mtime) already verified in this process or recorded in `cache_dir`'s
    verified.json is trusted without hashing again.
    """
    try:
        key = _key(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the face model ({exc.strerror or exc})") from exc
    if _memo.get(key) == expected:
        return path
    if cache_dir is not None:
        rec = _load_verified(cache_dir).get(key[0])
        if rec == [key[1], key[2], expected]:
            _memo[key] = expected
            return path
    try:
        got = sha256_file(path)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the face model ({exc.strerror or exc})") from exc
    if got != expected:
        raise ModelError(
            f"{path}: SHA-256 {got} does not match the expected face model {expected}; "
            "replace the file with the published face_landmarker.task (float16, version 1)"
        )
    _memo[key] = got
    if cache_dir is not None:
        _store_verified(cache_dir, key, got)
    return path


def _offline_message(url: str, dest: Path, reason: object) -> str:
    return (
        f"Could not download the face model from {url} ({reason}); connect to the internet, "
        f"or set {ENV_VAR} to a copy of face_landmarker.task, or put it at {dest}."
    )


def download_model(
    dest: Path,
    *,
    url: str = MODEL_URL,
    expected: str = MODEL_SHA256,
    opener: Opener | None = None,
    progress: bool = True,
) -> Path:
    """Download `url` to `dest` atomically: stream into a temp file beside it while hashing,
    refuse (and delete) it if the SHA-256 is not `expected`, else rename it into place."""
    open_url: Opener = opener or (lambda u: urllib.request.urlopen(u, timeout=30))
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        try:
            with os.fdopen(fd, "wb") as out, open_url(url) as resp:
                headers = getattr(resp, "headers", None)
                length = headers.get("Content-Length") if headers is not None else None
                total = int(length) if length and str(length).isdigit() else None
                bar = _progress_bar(total, dest.name, progress)
                try:
                    while block := resp.read(_CHUNK):
                        out.write(block)
                        digest.update(block)
                        if bar is not None:
                            bar.update(len(block))
                finally:
                    if bar is not None:
                        bar.close()
        except OSError as exc:  # URLError is an OSError
            reason = getattr(exc, "reason", None) or exc.strerror or exc
            raise ModelError(_offline_message(url, dest, reason)) from exc
        got = digest.hexdigest()
        if got != expected:
            raise ModelError(
                f"{url}: downloaded file has SHA-256 {got}, expected {expected}; "
                f"nothing was written to {dest}"
            )
        tmp.replace(dest)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _memo[_key(dest)] = expected
    _store_verified(dest.parent, _key(dest), expected)
    return dest


def _progress_bar(total: int | None, name: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, leave=False)


def resolve_model_path(
    option: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    download: bool = True,
    progress: bool = True,
    opener: Opener | None = None,
    url: str = MODEL_URL,
    expected: str = MODEL_SHA256,
) -> Path:
    """Find a verified face model: option, then $ESSENCE_FACE_MODEL, then the cache (downloading
    into it when allowed). Raises ModelError with one clear sentence otherwise."""
    environ = os.environ if env is None else env
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    for given, what in ((option, "the face-model option"), (environ.get(ENV_VAR) or None, ENV_VAR)):
        if given is None or str(given) == "":
            continue
        path = Path(given).expanduser()
        if not path.is_file():
            raise ModelError(f"{path}: face model named by {what} does not exist")
        return verify_model(path, expected=expected, cache_dir=cache)
    cached = cache / MODEL_FILENAME
    if cached.is_file():
        try:
            return verify_model(cached, expected=expected, cache_dir=cache)
        except ModelError as exc:
            raise ModelError(f"{exc} (delete it to download it again)") from exc
    if not download:
        raise ModelError(
            f"No face model found: set {ENV_VAR} to face_landmarker.task, pass --face-model, "
            f"or download it from {url} to {cached}."
        )
    return download_model(cached, url=url, expected=expected, opener=opener, progress=progress)
