"""The Bot API's HTTP client: python-telegram-bot's requests, sent with aiohttp.

python-telegram-bot sends through httpx by default. On the sandbox, a sendMessage costs
about 1 ms of CPU that way and about half with aiohttp (benchmarks/unit_costs.py prints
both); a bot making one or two calls per update spends a good share of its time there.
Same contract as PTB's HTTPXRequest but for the body: the parameters go as a JSON object (PTB's
json_payload: the values it would put in form fields), multipart when files go along.
TimedOut for a timeout (pool, connect or read), NetworkError for the rest.
aiohttp has no timeout for writing a request; the read timeout runs once it is written.
"""

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# HTTPXRequest's defaults, in seconds
CONNECT, READ, POOL, MEDIA_WRITE = 5.0, 5.0, 1.0, 20.0


class AiohttpRequest(BaseRequest):
    """A pool of `connections` keep-alive connections; a request waits up to `pool_timeout`
    for one of them."""

    def __init__(
        self,
        connections: int = 1,
        *,
        read_timeout: float | None = READ,
        connect_timeout: float | None = CONNECT,
        pool_timeout: float | None = POOL,
    ) -> None:
        self.connections = connections
        self._timeouts = {"read": read_timeout, "connect": connect_timeout, "pool": pool_timeout}
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=0)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _timeout(self, read: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        """aiohttp's names for them: `connect` is the wait for a pooled connection plus the
        connecting, `sock_connect` the connecting, `sock_read` the wait for each read."""

        def given(value: Any, name: str) -> float | None:
            return self._timeouts[name] if value is BaseRequest.DEFAULT_NONE else value

        pool_wait, connecting = given(pool, "pool"), given(connect, "connect")
        total_connect = None if pool_wait is None or connecting is None else pool_wait + connecting
        return aiohttp.ClientTimeout(
            total=None,
            connect=total_connect,
            sock_connect=connecting,
            sock_read=given(read, "read"),
        )

    @staticmethod
    def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str]]:
        """The body and its content type: JSON (the Bot API takes it for every method but
        uploads; percent-encoding a form costs more at both ends), multipart with files."""
        if request_data is None:
            return None, {}
        if not request_data.contains_files:
            return request_data.json_payload, {"Content-Type": "application/json"}
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, part in (request_data.multipart_data or {}).items():
            filename, content, mimetype = part
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form, {}

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        body, headers = self._body(request_data)
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers={"User-Agent": self.USER_AGENT, **headers},
                timeout=timeout,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
