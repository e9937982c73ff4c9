"""The parse command: one text, and JSON lines with --serve."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.nlu import cli
from tests.nlu.dataset import PACKS, ROOT

MENU = str(PACKS["yeongtong"])


def test_parse_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_cli(["--menu", MENU, "--merchant", "orange-coffee", "아아 두 잔"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lines"][0]["item"] == "americano"
    assert out["lines"][0]["quantity"] == 2


def test_parse_keeps_hangul_unescaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run_cli(["--menu", MENU, "족발 하나"]) == 0
    assert "족발" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--menu", "missing.json", "짜장면"], "cannot read menu"),
        (["--menu", MENU, "--merchant", "nope", "짜장면"], "unknown merchant"),
        (["--menu", MENU], "give --menu FILE and TEXT"),
        (["--serve", "--menu", MENU], "--serve takes no other arguments"),
        (["--bogus"], "unrecognized arguments"),
    ],
    ids=["missing-menu", "unknown-merchant", "no-text", "serve-with-menu", "bad-flag"],
)
def test_errors_are_one_line_and_status_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run_cli(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_bad_menu_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"merchants": [{"code": "x"}]}', encoding="utf-8")
    assert cli.run_cli(["--menu", str(bad), "짜장면"]) == 2
    assert "merchants[0].name" in capsys.readouterr().err


def test_serve_answers_each_line_and_goes_on(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    requests = [
        {"menu": MENU, "merchant": None, "text": "짜장 두개"},
        "not json at all",
        {"menu": str(broken), "merchant": None, "text": "x"},
        {"menu": MENU, "merchant": "nope", "text": "x"},
        {"menu": MENU, "text": 5},
        {"menu": MENU, "merchant": "orange-coffee", "text": "latte"},
    ]
    stdin = io.StringIO(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in requests) + "\n\n"
    )
    stdout = io.StringIO()
    assert cli.serve(stdin, stdout) == 0
    answers = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert len(answers) == 6
    assert answers[0]["lines"][0]["item"] == "jjajangmyeon"
    assert [("error" in a) for a in answers] == [False, True, True, True, True, False]
    assert answers[5]["lines"][0]["item"] == "cafe-latte"


def test_module_runs_from_a_fresh_process() -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot.nlu.cli", "parse", "--menu", MENU, "ㅎㄹㅇㄷ"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lines"][0]["item"] == "fried-chicken"
