"""The Bot API's HTTP client: python-telegram-bot's requests, sent with aiohttp.

python-telegram-bot sends through httpx by default. On the sandbox, a sendMessage costs
about 1 ms of CPU that way and about half with aiohttp (benchmarks/unit_costs.py prints
both); a bot making one or two calls per update spends a good share of its time there.
Same contract as PTB's HTTPXRequest but for the body: the parameters go as a JSON object (PTB's
json_payload: the values it would put in form fields), multipart when files go along.
TimedOut for a timeout, NetworkError for the rest, neither carrying the URL (it holds the
token). aiohttp has no timeout for writing a request; the whole request is bounded instead
by the sum of the pool, connect, write and read timeouts.
"""

import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# HTTPXRequest's defaults, in seconds
CONNECT, READ, WRITE, POOL, MEDIA_WRITE = 5.0, 5.0, 5.0, 1.0, 20.0
KEEP_ALIVE = 4.0  # idle seconds before a connection is dropped (servers close at 5, uvicorn too)
TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s]+")


def redact(text: str) -> str:
    """`text` without the bot token that request URLs carry."""
    return TOKEN_IN_URL.sub(lambda m: f"/{m.group(1) or ''}bot<token>", text)


class AiohttpRequest(BaseRequest):
    """A pool of `connections` keep-alive connections; a request waits up to `pool_timeout`
    for one of them."""

    def __init__(
        self,
        connections: int = 1,
        *,
        read_timeout: float | None = READ,
        write_timeout: float | None = WRITE,
        connect_timeout: float | None = CONNECT,
        pool_timeout: float | None = POOL,
        media_write_timeout: float | None = MEDIA_WRITE,
    ) -> None:
        self.connections = connections
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
            "media_write": media_write_timeout,
        }
        self._session: aiohttp.ClientSession | None = None
        self._env_proxies: dict[str, str] = {}
        self._proxies: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> proxy

    @property
    def read_timeout(self) -> float | None:
        """The read timeout when a call gives none (getUpdates adds its long poll to it)."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the connection pool (again, after shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.connections, limit_per_host=0, keepalive_timeout=KEEP_ALIVE
            )
            self._session = aiohttp.ClientSession(connector=connector)
            self._env_proxies = urllib.request.getproxies()
            self._proxies.clear()

    async def shutdown(self) -> None:
        """Close the pool's connections."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def timeout(
        self, *, read: Any, write: Any, connect: Any, pool: Any, files: bool
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for a call's (PTB's DEFAULT_NONE: this client's own). aiohttp's
        `connect` is the wait for a pooled connection plus the connecting, `sock_connect` the
        connecting, `sock_read` each wait for the answer; `total` stands in for the write
        timeout it lacks."""

        def given(value: Any, name: str) -> float | None:
            return self._timeouts[name] if value is BaseRequest.DEFAULT_NONE else value

        waits = {
            "pool": given(pool, "pool"),
            "connect": given(connect, "connect"),
            "write": given(write, "media_write" if files else "write"),
            "read": given(read, "read"),
        }

        def added(*names: str) -> float | None:
            parts = [waits[name] for name in names]
            return None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]

        return aiohttp.ClientTimeout(
            total=added("pool", "connect", "write", "read"),
            connect=added("pool", "connect"),
            sock_connect=waits["connect"],
            sock_read=waits["read"],
        )

    def proxy(self, url: str) -> str | None:
        """The proxy the environment names for `url` (HTTPS_PROXY, HTTP_PROXY and NO_PROXY;
        not ALL_PROXY or ~/.netrc), read at initialize. aiohttp's trust_env would read them,
        and ~/.netrc, on every request: it doubled a call's CPU."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            proxy = self._env_proxies.get(parts.scheme)
            bypass = urllib.request.proxy_bypass_environment
            if proxy and bypass(parts.hostname or "", self._env_proxies):
                proxy = None
            self._proxies[key] = proxy
        return self._proxies[key]

    @staticmethod
    def body(request_data: RequestData | None) -> tuple[Any, dict[str, str]]:
        """The body and its content type: JSON (the Bot API takes it for every method but
        uploads; percent-encoding a form costs more at both ends), multipart with files."""
        if request_data is None:
            return None, {}
        if not request_data.contains_files:
            return request_data.json_payload, {"Content-Type": "application/json"}
        form = aiohttp.FormData(quote_fields=False)  # a Korean file name stays readable
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
        """Send one request; (HTTP status, body) for whatever the server answered."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self.timeout(
            read=read_timeout,
            write=write_timeout,
            connect=connect_timeout,
            pool=pool_timeout,
            files=bool(request_data and request_data.contains_files),
        )
        body, headers = self.body(request_data)
        try:
            async with self._session.request(
                method,
                url,
                data=body,
                headers={"User-Agent": self.USER_AGENT, **headers},
                timeout=timeout,
                proxy=self.proxy(url),
                allow_redirects=False,  # a redirected POST would arrive as a GET
            ) as response:
                return response.status, await response.read()
        # aiohttp's messages name the URL: none is kept, not even as __cause__
        except aiohttp.ConnectionTimeoutError:
            raise TimedOut(
                "Pool or connect timeout: no connection to the Bot API came free in time. "
                "The request was *not* sent to Telegram."
            ) from None
        except TimeoutError:  # aiohttp's other timeouts are TimeoutErrors too
            raise TimedOut from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {redact(str(error))}") from None
