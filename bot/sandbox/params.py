"""Bot API request parameters: query string, JSON, urlencoded or multipart bodies."""

import json
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from bot.sandbox.errors import BotApiError


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None
    content_type: str | None


def _multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Split a multipart/form-data body into text fields and uploads (stdlib email parser)."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise BotApiError.bad_request("can't parse multipart/form-data")
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            fields[name] = Upload(data, filename, part.get_content_type())
        else:
            charset = part.get_content_charset() or "utf-8"
            fields[name] = data.decode(charset, errors="replace")
    return fields


async def read_params(request: Request) -> dict[str, Any]:
    """Collect the parameters of a Bot API call, as the server accepts them."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    if not body:
        return params
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        try:
            decoded = json.loads(body)
        except ValueError:
            raise BotApiError.bad_request("can't parse JSON request body") from None
        if not isinstance(decoded, dict):
            raise BotApiError.bad_request("JSON object expected")
        params.update(decoded)
    elif media_type == "multipart/form-data":
        params.update(_multipart(body, content_type))
    else:
        params.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return params


class Params:
    """Typed access to call parameters that may arrive as strings (form) or JSON values."""

    def __init__(self, raw: dict[str, Any], request: Request | None = None) -> None:
        self.raw = raw
        self.request = request

    def __contains__(self, name: str) -> bool:
        return name in self.raw and self.raw[name] is not None

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """Read a string parameter."""
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, Upload):
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """Read an integer parameter; a malformed one is a 400."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BotApiError.bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float | None = None) -> float | None:
        """Read a number parameter."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise BotApiError.bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        """Read a boolean parameter ('true', 'false', 1, 0 or a JSON boolean)."""
        value = self.raw.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"true", "1", "yes"}

    def get_json(self, name: str, error: str | None = None) -> Any:
        """Read a JSON-serialized parameter (objects and arrays arrive as JSON text in forms)."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise BotApiError.bad_request(error or f"can't parse {name} JSON") from None
        return value

    def get_upload(self, name: str) -> Upload | str | None:
        """Read a file parameter: an upload, an attach://name reference, or a file_id/URL."""
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.raw.get(value.removeprefix("attach://"))
        if isinstance(value, Upload | str):
            return value
        return None
