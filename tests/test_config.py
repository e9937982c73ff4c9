"""Settings: defaults, driver fixing, and one clear line naming a bad setting."""

import subprocess
import sys

import pytest

from bot.config import Settings, SettingsError, load_settings


def test_defaults_run_the_sandbox_on_sqlite() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.sandbox
    assert settings.database_url == "sqlite+aiosqlite:///var/gongbae.sqlite3"
    assert (settings.web_host, settings.web_port) == ("127.0.0.1", 8080)
    assert settings.default_locale == "ko"
    assert settings.timezone == "Asia/Seoul"
    assert settings.public_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_url_gets_the_async_driver(given: str, expected: str) -> None:
    assert Settings(_env_file=None, database_url=given).database_url == expected  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"DATABASE_URL": "mysql://x"},
            "configuration error: DATABASE_URL: must be a sqlite:// or postgresql:// URL",
        ),
        ({"TIMEZONE": "Mars/Olympus"}, "configuration error: TIMEZONE: unknown time zone"),
        (
            {"REDIS_URL": "127.0.0.1:6379"},
            "configuration error: REDIS_URL: must be a redis:// URL, e.g. redis://127.0.0.1:6379/0",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": "changeme"},
            "configuration error: TELEGRAM_BOT_TOKEN: does not look like a bot token from @BotFather (123456:ABC...)",
        ),
        (
            {"WEB_PORT": "eighty"},
            "configuration error: WEB_PORT: Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            {"DEFAULT_LOCALE": "fr"},
            "configuration error: DEFAULT_LOCALE: Input should be 'ko' or 'en'",
        ),
        (
            {"PUBLIC_BASE_URL": "example.org"},
            "configuration error: PUBLIC_BASE_URL: must be an http:// or https:// URL",
        ),
        (
            {"CONCURRENT_UPDATES": "0"},
            "configuration error: CONCURRENT_UPDATES: Input should be greater than or equal to 1",
        ),
    ],
    ids=["db", "tz", "redis", "token", "port", "locale", "public-url", "concurrency"],
)
def test_bad_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None)
    assert str(caught.value) == line


def test_cli_exits_2_with_one_line_on_bad_setting(tmp_path: object) -> None:
    result = subprocess.run(
        [sys.executable, "main.py", "db", "current"],
        env={"DATABASE_URL": "mysql://nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert (
        result.stderr
        == "configuration error: DATABASE_URL: must be a sqlite:// or postgresql:// URL\n"
    )
    assert "Traceback" not in result.stderr
