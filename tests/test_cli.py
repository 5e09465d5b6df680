"""The command line: bad input is one line on stderr, exit code 2, nothing written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

BIN = Path(sys.executable).parent / "helix"


@pytest.mark.parametrize("argv, message", [
    (["generate", "--tasks", "no_such_task"], "unknown task 'no_such_task'"),
    (["generate", "--levels", "0"], "levels must be within 1..5, got 0"),
    (["generate", "--levels", "6"], "levels must be within 1..5, got 6"),
    (["generate", "--per-level", "-3"], "--per-level must be at least 1"),
    (["generate", "--seed", "-1"], "seed"),
    (["generate", "--levels", "two"], "level must be an integer"),
    (["run", "--workers", "0"], "--workers must be at least 1"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(argv, message, tmp_path, capsys):
    root = tmp_path / "root"
    code = main(argv + ["--data-root", str(root)] if argv[0] in ("generate", "run") else argv)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("helix: error: ") and message in err, err
    assert not root.exists()


def test_unwritable_data_root(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["generate", "--tasks", "trapping_rain_water", "--data-root", str(blocker / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "not writable" in err and err.count("\n") == 1


def test_sql_refuses_writes_and_reports_bad_sql(tmp_path, capsys):
    assert main(["sql", "drop view instances", "--data-root", str(tmp_path)]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["sql", "select nope from instances", "--data-root", str(tmp_path)]) == 2
    assert "nope" in capsys.readouterr().err


def test_generate_sql_show_round_trip(tmp_path, capsys):
    root = str(tmp_path)
    assert main(["generate", "--tasks", "trapping_rain_water", "--levels", "1", "3",
                 "--per-level", "2", "--data-root", root]) == 0
    capsys.readouterr()
    assert main(["sql", "select id, level from instances order by level, id", "--json",
                 "--data-root", root]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["level"] for r in rows] == [1, 1, 3, 3]
    assert main(["show", rows[0]["id"][:8], "--data-root", root, "--out", str(tmp_path / "pics")]) == 0
    out = capsys.readouterr().out
    assert "Question (text-only variant)" in out and "## Answer" in out
    assert (tmp_path / "pics" / f"{rows[0]['id']}-0.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["show", "ffffffffffff", "--data-root", root]) == 2


def test_console_script_runs():
    proc = subprocess.run([str(BIN), "tasks"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "trapping_rain_water" in proc.stdout
    proc = subprocess.run([str(BIN), "generate", "--levels", "9"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0


def test_reading_commands_refuse_a_missing_data_root(tmp_path, capsys):
    typo = str(tmp_path / "typo")
    for argv in (["sql", "select count(*) from instances"], ["show", "abc"], ["check"]):
        assert main([*argv, "--data-root", typo]) == 2
        err = capsys.readouterr().err
        assert err.strip() == f"helix: error: data root {typo} does not exist" or \
            (err.startswith(f"helix: error: data root {typo} does not exist") and err.count("\n") == 1)
    assert not (tmp_path / "typo").exists()


def test_show_writes_pictures_outside_the_store_by_default(tmp_path, capsys):
    import tempfile

    root = tmp_path / "data"
    assert main(["generate", "--tasks", "h_index", "--levels", "1", "--per-level", "1",
                 "--data-root", str(root)]) == 0
    capsys.readouterr()
    from storage.catalog import query

    id_ = query(root, "select id from instances")[1][0][0]
    assert main(["show", id_, "--data-root", str(root)]) == 0
    picture = Path(tempfile.gettempdir()) / "helix-show" / f"{id_}-0.png"
    assert f"picture: {picture}" in capsys.readouterr().out and picture.exists()
    assert not (root / "show").exists()


@pytest.mark.parametrize("errno_name", ["EROFS", "EACCES", "ENOSPC"])
def test_store_the_os_refuses_is_one_line(tmp_path, capsys, monkeypatch, errno_name):
    """A read-only, foreign-owned or full data root: compact and release create end in one line
    (the tests run as root, so the refusal is injected where the lock file is opened)."""
    import errno
    import fcntl

    import storage.maintenance as maintenance

    root = tmp_path / "data"
    assert main(["generate", "--tasks", "h_index", "--levels", "1", "--per-level", "1",
                 "--data-root", str(root)]) == 0
    capsys.readouterr()

    def refuse(*args, **kwargs):
        raise OSError(getattr(errno, errno_name), os.strerror(getattr(errno, errno_name)), str(root / "_lock"))

    monkeypatch.setattr(maintenance.fcntl, "flock", refuse)
    for argv in (["compact"], ["release", "create", "r1"]):
        assert main([*argv, "--data-root", str(root)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("helix: error: ") and err.count("\n") == 1 and "Traceback" not in err
    monkeypatch.setattr(maintenance.fcntl, "flock", fcntl.flock)


def test_sql_help_lists_every_view_of_the_catalog(capsys):
    from storage.catalog import views
    from storage.schema import TABLES

    assert views() == list(TABLES)  # one view per table
    with pytest.raises(SystemExit):
        main(["sql", "--help"])
    page = " ".join(capsys.readouterr().out.split())  # argparse wraps the description
    assert f"over the store's views ({', '.join(views())})" in page
    with pytest.raises(SystemExit):
        main(["--help"])
    listing = " ".join(capsys.readouterr().out.split())
    assert f"(views: {', '.join(views())})" in listing


def test_task_table_keeps_one_row_per_task_and_names_level_parameters():
    from typing import NamedTuple

    from cli.tasks import cell, level_text, task_table
    from generators import registry

    lines = task_table().splitlines()
    assert len(lines) == 2 + len(registry.names())  # a newline in a cell would start a new row
    columns = lines[0].count("|")
    assert all(line.count("|") == columns for line in lines)  # a pipe in a cell would split it
    assert cell("a\nb | c\r\nd") == "a<br>b &#124; c<br>d"

    class Level(NamedTuple):
        rows: int
        cols: int

    assert level_text(Level(5, 7)) == "rows=5, cols=7"
    assert level_text((1, 9)) == "(1, 9)"
