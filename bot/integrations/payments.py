"""Local-currency payment providers: one interface; the sandbox provider lives beside it.

A provider gives a checkout URL for a payment, calls our web app back with an HMAC-SHA256
signed callback when the resident approves or declines, and refunds a transaction.
"""

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import asdict, dataclass
from html import escape
from typing import Any, Protocol
from urllib.parse import parse_qs

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.integrations import signing

logger = logging.getLogger(__name__)

CURRENCIES = {  # region currency code: (Korean name, English name)
    "seoro-eeum": ("서로e음", "Seoro e-Eum"),
    "gyeonggi-local": ("경기지역화폐", "Gyeonggi Local Currency"),
}
CALLBACK_PATH = "/payments/callback/{provider}"


def currency_name(code: str, locale: str) -> str:
    """The name people know a local currency by."""
    ko, en = CURRENCIES.get(code, (code, code))
    return en if locale == "en" else ko


@dataclass(frozen=True)
class PaymentRequest:
    """What the resident is asked to pay."""

    token: str  # our payment id, in the link and the callback
    order_id: int
    amount: int
    currency: str
    shop: str
    expires_at: int  # unix seconds


class PaymentProvider(Protocol):
    """A local-currency payment provider."""

    code: str

    def checkout_url(self, request: PaymentRequest) -> str:
        """Where the resident pays."""
        ...

    async def refund(self, tx_id: str, amount: int) -> str:
        """Refund a paid transaction; return the refund id."""
        ...


class SandboxLocalCurrency:
    """A stand-in provider: a plain HTML page with approve and decline, signed callbacks.

    The page carries the request itself, signed, so it survives restarts with no storage.
    """

    code = "sandbox-local"

    def __init__(self, secret: bytes, public_url: str) -> None:
        self._secret = secret
        self.public_url = public_url.rstrip("/")
        self.callback_url = self.public_url + CALLBACK_PATH.format(provider=self.code)
        self.refunds: list[tuple[str, int]] = []
        self._refund_ids: dict[str, str] = {}

    def _seal(self, request: PaymentRequest) -> str:
        body = base64.urlsafe_b64encode(json.dumps(asdict(request)).encode()).decode().rstrip("=")
        tag = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{tag}"

    def _open(self, sealed: str) -> PaymentRequest | None:
        body, _, tag = sealed.partition(".")
        expected = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(tag, expected):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            return PaymentRequest(**data)
        except (ValueError, TypeError):
            return None

    def request_of(self, url: str) -> PaymentRequest | None:
        """The request behind one of this provider's payment links (None: not one of ours)."""
        return self._open(url.rstrip("/").rsplit("/", 1)[-1])

    def checkout_url(self, request: PaymentRequest) -> str:
        """The sandbox payment page for this request."""
        return f"{self.public_url}/sandbox/pay/{self._seal(request)}"

    async def refund(self, tx_id: str, amount: int) -> str:
        """Refund once per transaction: asking again returns the same refund (idempotent)."""
        if tx_id not in self._refund_ids:
            self.refunds.append((tx_id, amount))
            self._refund_ids[tx_id] = f"rf_{secrets.token_hex(8)}"
        return self._refund_ids[tx_id]

    def callback(self, request: PaymentRequest, status: str) -> signing.SignedRequest:
        """The signed callback the provider sends for an approved or declined payment."""
        payload: dict[str, Any] = {
            "provider": self.code,
            "status": status,
            "payment_token": request.token,
            "order_id": request.order_id,
            "amount": request.amount,
            "currency": request.currency,
            "tx_id": f"tx_{secrets.token_hex(10)}",
        }
        return signing.sign(self._secret, payload)

    def routes(self) -> list[BaseRoute]:
        """The payment page and its form target."""

        async def page(request: Request) -> Response:
            found = self._open(request.path_params["sealed"])
            if found is None:
                return HTMLResponse(_page("결제 요청을 찾을 수 없어요 / Payment not found"), 404)
            ko, en = CURRENCIES.get(found.currency, (found.currency, found.currency))
            form = (
                f'<form method="post"><p class="shop">{escape(found.shop)}</p>'
                f'<p class="amount" data-testid="amount">{found.amount:,}원</p>'
                f'<p class="currency">{escape(ko)} · {escape(en)}</p>'
                f"<p>주문 번호 / Order #{found.order_id}</p>"
                '<button name="decision" value="approve" data-testid="approve">'
                "결제하기 / Pay</button> "
                '<button name="decision" value="decline" data-testid="decline">'
                "취소 / Decline</button></form>"
            )
            return HTMLResponse(_page(form))

        async def decide(request: Request) -> Response:
            found = self._open(request.path_params["sealed"])
            if found is None:
                return HTMLResponse(_page("결제 요청을 찾을 수 없어요 / Payment not found"), 404)
            form = parse_qs((await request.body()).decode("utf-8", "replace"))
            status = "paid" if form.get("decision") == ["approve"] else "declined"
            signed = self.callback(found, status)
            async with httpx.AsyncClient(timeout=10) as client:
                answer = await client.post(
                    self.callback_url, content=signed.body, headers=signed.headers
                )
            result = answer.json().get("result") if answer.status_code == 200 else None
            if result == "paid":
                text = "결제가 완료됐어요. 텔레그램으로 돌아가세요. / Paid. Back to Telegram."
            elif result == "refunded":
                text = (
                    "결제 시간이 지났거나 이미 처리된 주문이라 바로 환불했어요. / "
                    "The link no longer applied, so the payment was refunded at once."
                )
            elif result in ("declined", "duplicate"):
                text = (
                    "결제를 취소했어요. / Payment declined."
                    if result == "declined"
                    else ("이미 처리된 결제예요. / Already processed.")
                )
            else:
                text = (
                    "결제를 처리하지 못했어요 (주문이 만료되었거나 이미 처리됐어요). / "
                    "The payment could not be applied (expired or already done)."
                )
                logger.info("Payment callback answered %s", answer.status_code)
            return HTMLResponse(_page(f'<p data-testid="result">{text}</p>'))

        return [
            Route("/sandbox/pay/{sealed}", page, methods=["GET"]),
            Route("/sandbox/pay/{sealed}", decide, methods=["POST"]),
        ]


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>서로e음 결제 (sandbox)</title><style>body{font-family:sans-serif;max-width:28rem;"
        "margin:3rem auto;padding:1rem}.amount{font-size:2rem;font-weight:bold}button{font-size:"
        "1.1rem;padding:.6rem 1.2rem;margin:.3rem}</style></head><body>"
        f"<h1>지역화폐 결제 (sandbox)</h1>{body}</body></html>"
    )
