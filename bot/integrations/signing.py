"""HMAC-SHA256 signatures on provider callbacks: timestamp, nonce and body, checked fresh."""

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-Gongbae-Signature"
TIMESTAMP_HEADER = "X-Gongbae-Timestamp"
NONCE_HEADER = "X-Gongbae-Nonce"
MAX_AGE_SECONDS = 300


class BadSignature(Exception):
    """A callback whose signature, timestamp or nonce does not hold."""


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]


def _mac(secret: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + nonce.encode() + b"." + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def sign(secret: bytes, payload: dict[str, Any], *, now: float | None = None) -> SignedRequest:
    """Serialize and sign a callback payload."""
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_hex(16)
    return SignedRequest(
        body=body,
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: _mac(secret, timestamp, nonce, body),
            TIMESTAMP_HEADER: timestamp,
            NONCE_HEADER: nonce,
        },
    )


def verify(
    secret: bytes, headers: dict[str, str], body: bytes, *, now: float | None = None
) -> tuple[dict[str, Any], str]:
    """Check signature and freshness; return the payload and its nonce (for replay checks)."""
    lower = {k.lower(): v for k, v in headers.items()}
    signature = lower.get(SIGNATURE_HEADER.lower(), "")
    timestamp = lower.get(TIMESTAMP_HEADER.lower(), "")
    nonce = lower.get(NONCE_HEADER.lower(), "")
    if not (signature and timestamp.isdigit() and 8 <= len(nonce) <= 128):
        raise BadSignature("missing signature headers")
    if not hmac.compare_digest(signature, _mac(secret, timestamp, nonce, body)):
        raise BadSignature("signature mismatch")
    current = now if now is not None else time.time()
    if abs(current - int(timestamp)) > MAX_AGE_SECONDS:
        raise BadSignature("stale timestamp")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadSignature("body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadSignature("body is not an object")
    return payload, nonce
