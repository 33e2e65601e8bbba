"""An atomic save never replaces what is not a file: a FIFO, a device or a folder at the
target is refused naming it, and stays as it was (a calibration saved with `--out` naming
a device node replaced the node with a regular file)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from performance.cli import main
from performance.core.errors import OutputError
from performance.core.files import write_atomic


def test_a_fifo_or_a_folder_at_the_target_is_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "cal.toml"
    os.mkfifo(fifo)
    with pytest.raises(OutputError) as refused:
        write_atomic(fifo, "kind = 'projector'\n")
    assert str(refused.value) == (f"{fifo}: cannot be written (is a FIFO, not a regular "
                                  "file); nothing was written")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    folder = tmp_path / "hall"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder, not a regular file"):
        write_atomic(folder, "x")
    assert folder.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["cal.toml", "hall"]
    plain = tmp_path / "plain.toml"
    write_atomic(plain, "a\n")
    write_atomic(plain, "b\n")  # a regular file is replaced, as ever
    assert plain.read_text() == "b\n"


@pytest.mark.parametrize("tool", [["calibrate", "projector", "--windowed"],
                                  ["calibrate", "camera", "no-such-clip.mp4"]])
def test_a_calibration_tool_refuses_a_fifo_as_out_before_it_opens_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: list[str]) -> None:
    fifo = tmp_path / "hall.toml"
    os.mkfifo(fifo)
    assert main([*tool, "--out", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"essence: {fifo}: --out is a FIFO") and err.count("\n") == 1, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
