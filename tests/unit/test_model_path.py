"""Face model resolution: precedence, hash checks, atomic download, offline message."""

from __future__ import annotations

import hashlib
import io
import re
import urllib.error
from pathlib import Path

import pytest

from performance.core.errors import ModelError
from performance.perception.model import (
    ENV_VAR,
    MODEL_FILENAME,
    MODEL_SHA256,
    MODEL_URL,
    download_model,
    resolve_model_path,
    verify_model,
)

PAYLOAD = b"not really a model, but hashable bytes " * 4000
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def _write(path: Path, data: bytes = PAYLOAD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class _Response(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


def _opener(data: bytes, seen: list[str] | None = None):  # type: ignore[no-untyped-def]
    def open_url(url: str) -> _Response:
        if seen is not None:
            seen.append(url)
        return _Response(data)

    return open_url


def _offline(url: str) -> _Response:
    raise urllib.error.URLError("Name or service not known")


def _no_network(url: str) -> _Response:
    raise AssertionError(f"unexpected download of {url}")


def test_option_beats_env_beats_cache(tmp_path: Path) -> None:
    option = _write(tmp_path / "opt" / "m.task")
    env_file = _write(tmp_path / "env" / "m.task")
    cache = tmp_path / "cache"
    _write(cache / MODEL_FILENAME)
    env = {ENV_VAR: str(env_file)}
    kw = {"cache_dir": cache, "expected": PAYLOAD_SHA, "opener": _no_network}
    assert resolve_model_path(option, env=env, **kw) == option  # type: ignore[arg-type]
    assert resolve_model_path(None, env=env, **kw) == env_file  # type: ignore[arg-type]
    assert resolve_model_path(None, env={}, **kw) == cache / MODEL_FILENAME  # type: ignore[arg-type]


def test_missing_option_or_env_path_is_named_not_skipped(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _write(cache / MODEL_FILENAME)
    missing = tmp_path / "nowhere" / "face.task"
    with pytest.raises(ModelError, match=re.escape(str(missing))) as named:
        resolve_model_path(missing, env={}, cache_dir=cache, expected=PAYLOAD_SHA)
    # the setting comes from the option, the environment or the config file: all named
    assert f"named by --face-model (or {ENV_VAR}, or the config file) does not exist" \
        in str(named.value)
    with pytest.raises(ModelError, match=ENV_VAR):
        resolve_model_path(None, env={ENV_VAR: str(missing)}, cache_dir=cache,
                           expected=PAYLOAD_SHA)


def test_wrong_hash_is_refused_naming_file_and_both_hashes(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.task", b"tampered")
    got = hashlib.sha256(b"tampered").hexdigest()
    with pytest.raises(ModelError) as info:
        resolve_model_path(bad, env={}, cache_dir=tmp_path / "cache")
    message = str(info.value)
    assert str(bad) in message and got in message and MODEL_SHA256 in message


def test_wrong_hash_in_cache_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _write(cache / MODEL_FILENAME, b"half a download")
    with pytest.raises(ModelError, match="delete it"):
        resolve_model_path(None, env={}, cache_dir=cache, opener=_no_network)


def test_a_file_changed_in_place_is_refused(tmp_path: Path) -> None:
    """Same size, same mtime, other bytes: every check hashes the content, so the second
    check refuses what the first accepted (no record of an earlier check is trusted)."""
    import os

    cache = tmp_path / "cache"
    path = _write(tmp_path / "m.task")
    assert verify_model(path, expected=PAYLOAD_SHA) == path
    assert resolve_model_path(path, env={}, cache_dir=cache, expected=PAYLOAD_SHA) == path
    before = path.stat()
    with path.open("r+b") as fh:
        fh.seek(len(PAYLOAD) // 2)
        fh.write(b"\xff" * 64)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    with pytest.raises(ModelError, match=rf"{re.escape(str(path))}: SHA-256 \w+ does not match"):
        resolve_model_path(path, env={}, cache_dir=cache, expected=PAYLOAD_SHA)
    assert not cache.exists() or not any(cache.iterdir())  # nothing is recorded anywhere


def test_download_through_injected_opener(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    seen: list[str] = []
    path = resolve_model_path(None, env={}, cache_dir=cache, expected=PAYLOAD_SHA,
                              opener=_opener(PAYLOAD, seen), progress=True)
    assert seen == [MODEL_URL]
    assert path == cache / MODEL_FILENAME
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PAYLOAD_SHA
    assert not list(cache.glob("*.part")), "temp file left behind"
    assert "face_landmarker.task" in capsys.readouterr().err  # the tqdm bar
    # Next start: found in the cache, no download.
    assert resolve_model_path(None, env={}, cache_dir=cache, expected=PAYLOAD_SHA,
                              opener=_no_network) == path


def test_download_from_file_url(tmp_path: Path) -> None:
    source = _write(tmp_path / "published" / "face_landmarker.task")
    dest = tmp_path / "cache" / MODEL_FILENAME
    got = download_model(dest, url=source.as_uri(), expected=PAYLOAD_SHA, progress=False)
    assert got.read_bytes() == PAYLOAD


def test_corrupted_download_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    corrupted = PAYLOAD[:-10] + b"0123456789"
    with pytest.raises(ModelError) as info:
        resolve_model_path(None, env={}, cache_dir=cache, expected=PAYLOAD_SHA,
                           opener=_opener(corrupted), progress=False)
    assert hashlib.sha256(corrupted).hexdigest() in str(info.value)
    assert PAYLOAD_SHA in str(info.value)
    assert [p.name for p in cache.iterdir()] == []


def test_offline_message_names_url_variable_and_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as info:
        resolve_model_path(None, env={}, cache_dir=cache, opener=_offline, progress=False)
    message = str(info.value)
    assert MODEL_URL in message and ENV_VAR in message
    assert str(cache / MODEL_FILENAME) in message
    assert message.count(". ") == 0, "one sentence"
    assert not (cache / MODEL_FILENAME).exists()
    assert not list(cache.glob("*.part"))


def test_no_download_allowed(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=ENV_VAR):
        resolve_model_path(None, env={}, cache_dir=tmp_path, download=False)


def test_shared_model_matches_published_hash(face_model: Path, tmp_path: Path) -> None:
    assert resolve_model_path(face_model, env={}, cache_dir=tmp_path) == face_model


def test_perception_import_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, performance.perception as p; "
        "assert 'mediapipe' not in sys.modules and 'cv2' not in sys.modules; "
        "p.ScriptedAudience(2).observe(1.0)"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_essence_model_reports_every_missing_model_not_only_the_first(
        tmp_path: Path, face_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`essence model --no-download` stopped at the face model and never said whether the
    expression network was there; each is reported, exit 2 when one is missing."""
    from performance.cli import main

    gone, also = tmp_path / "face.task", tmp_path / "emotion.tflite"
    assert main(["model", "--no-download", "--reader", "fused", "--face-model", str(gone),
                 "--expression-model", str(also)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].strip() for line in err] == [str(gone), str(also)], err
    assert main(["model", "--no-download", "--reader", "fused", "--face-model",
                 str(face_model), "--expression-model", str(also)]) == 2
    out, err2 = capsys.readouterr()
    assert f"face model OK: {face_model}" in out and str(also) in err2
