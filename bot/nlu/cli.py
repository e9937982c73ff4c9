"""Command line for the parser: ``parse --menu FILE [--merchant CODE] TEXT`` and ``--serve``."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.nlu.index import MenuIndex, ParseError, build_index
from bot.nlu.parser import parse

EXIT_USAGE = 2


class _Usage(Exception):
    """A command line the parser cannot run."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise instead of printing usage and exiting."""
        raise _Usage(message)


def _arguments() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="python main.py parse",
        description="Parse order text against a menu pack; print the parse JSON.",
    )
    parser.add_argument("--menu", type=Path, help="menu pack JSON file")
    parser.add_argument("--merchant", help="read the text against this shop (code)")
    parser.add_argument(
        "--serve",
        action="store_true",
        help='answer JSON lines {"menu", "merchant", "text"} on stdin, one per line',
    )
    parser.add_argument("text", nargs="?", help="the message to parse")
    return parser


def load_index(path: Path) -> MenuIndex:
    """Read a menu pack file and build its index; ParseError with a clear message if bad."""
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ParseError(f"cannot read menu {path}: {err.strerror or err}") from err
    except UnicodeDecodeError as err:
        raise ParseError(f"menu {path} is not UTF-8 text") from err
    try:
        pack = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ParseError(f"menu {path} is not JSON: {err.msg} (line {err.lineno})") from err
    return build_index(pack)


def _answer(line: str, cache: dict[str, MenuIndex]) -> dict[str, Any]:
    """Answer one request line of --serve; errors become {"error": ...}."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as err:
        return {"error": f"request is not JSON: {err.msg}"}
    if not isinstance(request, dict):
        return {"error": "request must be a JSON object with menu, merchant and text"}
    menu, merchant, text = request.get("menu"), request.get("merchant"), request.get("text")
    if not isinstance(menu, str) or not menu:
        return {"error": "request.menu must be a file path"}
    if merchant is not None and not isinstance(merchant, str):
        return {"error": "request.merchant must be a shop code or null"}
    if not isinstance(text, str):
        return {"error": "request.text must be a string"}
    try:
        if menu not in cache:
            cache[menu] = load_index(Path(menu))
        return parse(text, cache[menu], merchant).to_dict()
    except ParseError as err:
        return {"error": str(err)}


def serve(stdin: TextIO, stdout: TextIO) -> int:
    """Answer JSON-line requests until stdin ends, one flushed JSON line per request."""
    cache: dict[str, MenuIndex] = {}
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(_answer(line, cache), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def run_cli(argv: list[str]) -> int:
    """Run the parse command with its arguments; errors: one line on stderr, status 2."""
    try:
        args = _arguments().parse_args(argv)
        if args.serve:
            if args.menu is not None or args.merchant is not None or args.text is not None:
                raise _Usage("--serve takes no other arguments")
            return serve(sys.stdin, sys.stdout)
        if args.menu is None or args.text is None:
            raise _Usage("give --menu FILE and TEXT (or --serve)")
        index = load_index(args.menu)
        result = parse(args.text, index, args.merchant)
    except (_Usage, ParseError) as err:
        print(f"error: {err}", file=sys.stderr)  # noqa: T201
        return EXIT_USAGE
    print(json.dumps(result.to_dict(), ensure_ascii=False))  # noqa: T201
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(run_cli(arguments[1:] if arguments[:1] == ["parse"] else arguments))
