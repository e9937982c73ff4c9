"""Delivery agencies: one interface; the sandbox agency assigns a rider and calls back.

A request gives the agency the order and the addresses; the agency calls our web app back,
HMAC-signed like payments, when a rider is assigned, picks the order up and delivers it.
"""

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

import httpx

from bot.integrations import signing

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/delivery/callback/{agency}"
RIDERS = ("김라이더", "박배달", "이신속", "최안전")


@dataclass(frozen=True)
class DeliveryRequest:
    order_id: int
    shop: str
    pickup_address: str | None
    dropoff_address: str


class DeliveryAgency(Protocol):
    """A delivery agency the shops can call a rider from."""

    code: str

    async def request(self, request: DeliveryRequest) -> str:
        """Ask for a rider; return the agency's reference."""
        ...


class SandboxAgency:
    """A stand-in agency: assigns a rider, then picks up and delivers after short delays."""

    code = "sandbox-riders"

    def __init__(
        self,
        secret: bytes,
        public_url: str,
        *,
        pickup_after: float = 20.0,
        deliver_after: float = 40.0,
    ) -> None:
        self._secret = secret
        self.callback_url = public_url.rstrip("/") + CALLBACK_PATH.format(agency=self.code)
        self.pickup_after = pickup_after
        self.deliver_after = deliver_after
        self._tasks: set[asyncio.Task[None]] = set()

    async def request(self, request: DeliveryRequest) -> str:
        """Accept the job and start the rider's trip in the background."""
        reference = f"dl_{secrets.token_hex(8)}"
        rider = RIDERS[request.order_id % len(RIDERS)]
        task = asyncio.create_task(self._trip(request.order_id, reference, rider))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return reference

    async def _trip(self, order_id: int, reference: str, rider: str) -> None:
        await asyncio.sleep(0.2)  # a real agency answers after the request, not within it
        await self._send(order_id, reference, rider, "assigned")
        await asyncio.sleep(self.pickup_after)
        await self._send(order_id, reference, rider, "picked_up")
        await asyncio.sleep(self.deliver_after)
        await self._send(order_id, reference, rider, "delivered")

    async def _send(self, order_id: int, reference: str, rider: str, status: str) -> None:
        payload = {"agency": self.code, "reference": reference, "order_id": order_id,
                   "rider": rider, "status": status}  # fmt: skip
        signed = signing.sign(self._secret, payload)
        for attempt in range(5):
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.post(
                        self.callback_url, content=signed.body, headers=signed.headers
                    )
                # 404: our side may not have committed the request yet; try again
                if answer.status_code < 500 and answer.status_code != 404:
                    return
            except httpx.HTTPError:
                logger.warning("Delivery callback for order %s failed (try %s)", order_id, attempt)
            await asyncio.sleep(0.5 * 2**attempt)

    async def aclose(self) -> None:
        """Stop trips in progress (a restart loses a sandbox rider; a real agency would not)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
