"""Structured logs: each line carries the update, chat and order it is about."""

import contextvars
import json
import logging

from bot import logs


class Lines(logging.Handler):
    """Keep formatted lines, as the CLI's handler would print them."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(level=logging.INFO)
        self.addFilter(logs.ContextFilter())
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_json_and_text_lines_carry_the_bound_ids() -> None:
    logger = logging.getLogger("gongbae.test")
    logger.setLevel(logging.INFO)
    as_json, as_text = Lines(logs.JsonFormatter()), Lines(logs.TextFormatter("%(message)s"))
    logger.addHandler(as_json)
    logger.addHandler(as_text)

    def handle() -> None:
        logs.bind(update_id=41, chat_id=700001)
        logger.info("paid", extra={"order_id": 9})
        logger.info("plain <b>%s</b>", "text")

    try:
        contextvars.copy_context().run(handle)
        logger.info("outside any update")
    finally:
        logger.removeHandler(as_json)
        logger.removeHandler(as_text)
    first, second, third = (json.loads(line) for line in as_json.lines)
    assert first["msg"] == "paid"
    assert (first["update_id"], first["chat_id"], first["order_id"]) == (41, 700001, 9)
    assert "order_id" not in second
    assert second["update_id"] == 41
    assert "update_id" not in third
    assert as_text.lines[0] == "paid [update=41 chat=700001 order=9]"
    assert as_text.lines[2] == "outside any update"
