"""Settings read from the environment and .env, validated once at start."""

import hashlib
import hmac
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/gongbae.sqlite3"
SANDBOX_BOT_USERNAME = "gongbae_sandbox_bot"
SANDBOX_TOKEN = "123456:SANDBOX-gongbae-local-token"  # noqa: S105 (the local sandbox)
_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


class Settings(BaseSettings):
    """All configuration of gongbae; see the table in README.md."""

    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    public_base_url: str | None = None
    # Redis holding Telegram's request budget shared by several instances (unset: in-process)
    redis_url: str | None = None
    default_locale: Literal["ko", "en"] = "ko"
    timezone: str = "Asia/Seoul"
    demo_pack: Path = REPO_ROOT / "demo" / "incheon-seo.json"
    demo_personas: Path = REPO_ROOT / "demo" / "personas.json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, for collectors
    payment_secret: SecretStr | None = None  # HMAC key shared with the payment provider
    payment_expiry_minutes: int = Field(default=15, ge=1, le=24 * 60)
    merchant_realert_minutes: int = Field(default=3, ge=1, le=60)
    merchant_cancel_minutes: int = Field(default=10, ge=2, le=120)
    private_app_commission_percent: float = Field(default=9.8, ge=0, le=50)
    # Telegram takes about 30 messages/s from a bot (up to 1,000 with paid broadcasts):
    # ads go out at broadcast_rate, every request together stays under telegram_max_rate.
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    telegram_max_rate: float = Field(default=30.0, gt=0, le=1000)
    # A message claimed by a sender and not recorded as sent within this many seconds is
    # taken to be from a sender that died, and is sent again (outbox and campaigns).
    send_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Updates of different chats one process handles at once (one chat's always one by one).
    concurrent_updates: int = Field(default=64, ge=1, le=256)
    # Open connections to the Bot API (handlers/http_client.py). 16 carry 30 requests/s
    # (TELEGRAM_MAX_RATE) at up to 0.5 s each, and a request waits up to telegram_pool_wait
    # seconds for a free one rather than fail.
    telegram_connections: int = Field(default=16, ge=1, le=256)
    telegram_pool_wait: float = Field(default=10.0, gt=0, le=120)
    # Connections a process opens to the database at most, and keeps open; a session waits
    # for a free one. Connections opened for a peak and closed after it cost the server a
    # process each, and the driver its setup and every statement's preparation again: 101
    # connections for 1,555 updates with 20 kept and 10 more at peaks. Instances x this, plus
    # the admin commands', must stay under PostgreSQL's max_connections less its
    # superuser_reserved_connections (100 and 3 by default).
    database_connections: int = Field(default=30, ge=1, le=256)
    # Addresses, phone numbers, notes and riders' names of finished orders: erased after this.
    retention_days: int = Field(default=90, ge=1, le=3650)
    ad_sender_contact: str = ""  # phone or address printed after the sender's name in ads
    sandbox_rider_pickup_seconds: float = Field(default=20.0, ge=0, le=3600)
    sandbox_rider_deliver_seconds: float = Field(default=40.0, ge=0, le=3600)

    @field_validator("database_url")
    @classmethod
    def _use_async_driver(cls, value: str) -> str:
        """Pick the async driver for plain PostgreSQL and SQLite URLs."""
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if value.startswith(plain):
                return driver + value.removeprefix(plain)
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("telegram_api_base_url", "webhook_url", "public_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """Accept only http(s) URLs, without a trailing slash."""
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        """Accept redis://, rediss:// and unix:// URLs."""
        if value is not None and not re.match(r"^(rediss?|unix)://\S+", value):
            raise ValueError("must be a redis:// URL, e.g. redis://127.0.0.1:6379/0")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """Refuse a time zone the system does not know."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone") from None
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -."""
        if value is not None and not re.match(
            r"^[A-Za-z0-9_-]{16,256}$", value.get_secret_value()
        ):
            raise ValueError("must be 16-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Refuse placeholders: a token looks like 123456789:AA...."""
        if value is not None and not _TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("does not look like a bot token from @BotFather (123456:ABC...)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> "Settings":
        """Webhook mode needs a real token and a secret for the header check."""
        if self.webhook_url and self.telegram_bot_token is None:
            raise ValueError("WEBHOOK_URL needs TELEGRAM_BOT_TOKEN")
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_URL needs WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -)")
        return self

    @model_validator(mode="after")
    def _broadcast_within_limit(self) -> "Settings":
        """Ads alone may not take more than the whole budget of requests."""
        if self.broadcast_rate > self.telegram_max_rate:
            raise ValueError("BROADCAST_RATE must not exceed TELEGRAM_MAX_RATE")
        return self

    @property
    def sandbox(self) -> bool:
        """True when no token is set: run against the local sandbox Bot API."""
        return self.telegram_bot_token is None

    @property
    def payment_key(self) -> bytes:
        """The HMAC key of payment callbacks: PAYMENT_SECRET, else derived from the token."""
        if self.payment_secret is not None:
            return self.payment_secret.get_secret_value().encode()
        token = (
            self.telegram_bot_token.get_secret_value()
            if self.telegram_bot_token
            else SANDBOX_TOKEN
        )
        return hmac.new(token.encode(), b"gongbae payment callbacks", hashlib.sha256).digest()

    @property
    def tz(self) -> ZoneInfo:
        """The region's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def public_url(self) -> str:
        """Base of links the bot sends (payment pages); the web app when unset."""
        if self.public_base_url:
            return self.public_base_url
        return f"http://{self.web_host}:{self.web_port}"


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning a validation error into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        first = err.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        reason = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"configuration error: {name}: {reason}") from None


def local_settings(database: Path, **overrides: object) -> Settings:
    """A local sandbox (no token, demo region) on a fresh SQLite file and an ephemeral
    loopback port, quiet and with instant sandbox riders: for tests and benchmarks."""
    values: dict[str, object] = {
        "telegram_bot_token": None,
        "database_url": f"sqlite:///{database}",
        "web_port": 0,
        "log_level": "WARNING",
        "sandbox_rider_pickup_seconds": 0.0,
        "sandbox_rider_deliver_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg,arg-type]
