"""Logging set-up: one format, and no library logs that would print the bot token."""

import logging

# httpx logs each request URL at INFO, and a Bot API URL contains the token.
TOKEN_LEAKING_LOGGERS = ("httpx", "httpcore")
NOISY_LOGGERS = ("uvicorn.access", "alembic", "apscheduler")


def quiet_libraries() -> None:
    """Keep libraries that log secrets or noise at WARNING."""
    for name in (*TOKEN_LEAKING_LOGGERS, *NOISY_LOGGERS):
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: str) -> None:
    """Configure the root logger once, for the CLI."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
