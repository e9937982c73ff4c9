"""Errors: Bot API failures (answered as JSON) and misuse of the sandbox's Python API."""

from typing import Any, Self


class BotApiError(Exception):
    """A Bot API failure: HTTP status, description and optional response parameters."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    @classmethod
    def bad_request(cls, detail: str) -> Self:
        """Build a 400 "Bad Request: ..." error."""
        return cls(400, f"Bad Request: {detail}")

    @classmethod
    def forbidden(cls, detail: str) -> Self:
        """Build a 403 "Forbidden: ..." error."""
        return cls(403, f"Forbidden: {detail}")

    @classmethod
    def too_many_requests(cls, retry_after: int) -> Self:
        """Build a 429 error carrying retry_after, as flood control does."""
        return cls(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )

    def payload(self) -> dict[str, Any]:
        """Render the error as the Bot API's JSON body."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class SandboxError(Exception):
    """A test or the web chat asked the sandbox for something impossible (no such button...)."""
