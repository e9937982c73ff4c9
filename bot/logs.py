"""Logging set-up: text or JSON lines carrying the update, chat and order being handled, and
no library logs that would print the bot token."""

import json
import logging
from contextvars import ContextVar
from typing import Any

# httpx logs each request URL at INFO, and a Bot API URL contains the token.
TOKEN_LEAKING_LOGGERS = ("httpx", "httpcore")
NOISY_LOGGERS = ("uvicorn.access", "alembic", "apscheduler")
FIELDS = ("update_id", "chat_id", "order_id")

_context: ContextVar[dict[str, Any] | None] = ContextVar("gongbae_log_context", default=None)


def bind(**values: Any) -> None:
    """Attach ids to every record logged from now on in this task (an update's handling)."""
    _context.set({**(_context.get() or {}), **values})


class ContextFilter(logging.Filter):
    """Copy the bound ids onto each record (a record's own `extra` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Add update_id, chat_id and order_id (None when unknown)."""
        bound = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the ids."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as JSON."""
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the ids that are known in brackets."""

    def format(self, record: logging.LogRecord) -> str:
        """Render a record as text."""
        line = super().format(record)
        ids = " ".join(
            f"{name.removesuffix('_id')}={getattr(record, name)}"
            for name in FIELDS
            if getattr(record, name, None) is not None
        )
        return f"{line} [{ids}]" if ids else line


def quiet_libraries() -> None:
    """Keep libraries that log secrets or noise at WARNING."""
    for name in (*TOKEN_LEAKING_LOGGERS, *NOISY_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: str, fmt: str = "text") -> None:
    """Configure the root logger once, for the CLI."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level, handlers=[handler])
    quiet_libraries()
