"""A round-robin HTTP balancer: a local stand-in for the load balancer in front of several
gongbae instances (the webhook tests and benchmarks/scale.py put it between the sandbox's
webhook delivery and the instances).

Each request goes to the next instance in turn; an instance that refuses the connection is
skipped for the request, as a balancer's health check would. `redeliver` posts that share of
requests to a second instance as well, as Telegram does when a webhook answered too late.
"""

import random
from collections import Counter

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

FORWARDED = ("content-type", "x-telegram-bot-api-secret-token")


class RoundRobin:
    """Forward every request under `/` to the backends (base URLs) in turn."""

    def __init__(self, backends: list[str], *, redeliver: float = 0.0, seed: int = 1) -> None:
        self.backends = list(backends)
        self.redeliver = redeliver
        self.forwarded: Counter[str] = Counter()  # backend -> requests it answered
        self.redelivered = 0
        self._next = 0
        self._rng = random.Random(seed)  # noqa: S311 (which requests to repeat)
        self._client = httpx.AsyncClient(timeout=30.0)

    def routes(self) -> list[BaseRoute]:
        """One catch-all route."""
        return [Route("/{path:path}", self.forward, methods=["GET", "POST"])]

    async def forward(self, request: Request) -> Response:
        """Send the request to the next live backend and relay its answer."""
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        first = self._next
        self._next = (self._next + 1) % len(self.backends)
        for step in range(len(self.backends)):
            backend = self.backends[(first + step) % len(self.backends)]
            try:
                answer = await self._client.request(
                    request.method, backend + path, content=body, headers=headers
                )
            except httpx.TransportError:
                continue  # that instance is down: the next one
            self.forwarded[backend] += 1
            if len(self.backends) > 1 and self._rng.random() < self.redeliver:
                await self._again(request.method, path, body, headers, besides=backend)
            return Response(answer.content, answer.status_code, media_type=None)
        return Response("no instance answered", status_code=502)

    async def _again(
        self, method: str, path: str, body: bytes, headers: dict[str, str], besides: str
    ) -> None:
        other = self._rng.choice([b for b in self.backends if b != besides])
        try:
            await self._client.request(method, other + path, content=body, headers=headers)
        except httpx.TransportError:
            return
        self.redelivered += 1

    async def aclose(self) -> None:
        """Close the connections to the backends."""
        await self._client.aclose()
