"""The command line as an operator uses it: help, import-menu, db; one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

from models.db import head_revision
from tests.factories import small_pack

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": f"sqlite:///{db}",
        "PTB_TIMEDELTA": "1",
    }
    return subprocess.run(  # noqa: S603 (our own CLI)
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run("--help", db=tmp_path / "x.sqlite3")
    assert result.returncode == 0
    for command in ("run", "import-menu", "db", "parse"):
        assert f"    {command}" in result.stdout


def test_import_menu_twice_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "gongbae.sqlite3"
    first = run("import-menu", "demo/incheon-seo.json", db=db)
    assert first.returncode == 0, first.stderr
    assert "imported. created 1 region, 16 merchant, 286 item" in first.stdout
    second = run("import-menu", "demo/incheon-seo.json", db=db)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "demo/incheon-seo.json: already up to date, nothing changed\n"


def test_bad_pack_is_refused_whole_with_every_problem(tmp_path: Path) -> None:
    pack = small_pack()
    pack["merchants"][0]["menu"][1]["price"] = -100
    pack["merchants"][1]["hours"] = "late"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(pack), encoding="utf-8")
    db = tmp_path / "gongbae.sqlite3"

    result = run("import-menu", str(bad), db=db)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{bad}: refused, nothing was written (2 problems):",
        "  merchants[0].menu[1].price: must be a positive integer",
        "  merchants[1].hours: must look like 11:00-24:00",
    ]
    assert "database at revision (empty)" in run("db", "current", db=db).stdout


def test_missing_and_broken_files_are_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    for path in (tmp_path / "missing.json", broken):
        result = run("import-menu", str(path), db=tmp_path / "x.sqlite3")
        assert result.returncode == 1
        assert "Traceback" not in result.stderr + result.stdout
        assert str(path) in result.stdout


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    db = tmp_path / "gongbae.sqlite3"
    head = head_revision()
    assert run("db", "upgrade", db=db).stdout == f"database at revision {head}; head is {head}\n"
    assert (
        run("db", "downgrade", db=db).stdout == f"database at revision (empty); head is {head}\n"
    )
