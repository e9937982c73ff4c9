"""Starlette routes: Telegram webhook and health checks (sandbox pages are mounted beside)."""

import hmac
import logging
from collections.abc import Sequence

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update

from bot.integrations import signing
from bot.integrations.delivery import CALLBACK_PATH as DELIVERY_PATH
from bot.integrations.payments import CALLBACK_PATH
from bot.services import deliveries, outbox, payments
from bot.services.errors import WrongState
from handlers.context import Deps, GongbaeApp
from models import db

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


def create_app(
    deps: Deps, engine: AsyncEngine, application: GongbaeApp, extra: Sequence[BaseRoute] = ()
) -> Starlette:
    """Build the web app around one Application and database engine."""

    async def webhook(request: Request) -> Response:
        """Take an update posted by Telegram, after checking the secret header."""
        expected = deps.settings.webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if expected is None or not hmac.compare_digest(given, expected.get_secret_value()):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = await request.json()
            update_id = payload.get("update_id") if isinstance(payload, dict) else None
            if type(update_id) is not int:  # not a bool either
                raise ValueError("not an update")
            update = Update.de_json(payload, application.bot)
        except (ValueError, TypeError, KeyError):
            return PlainTextResponse("bad update", status_code=400)
        inbox = application.bot_data.get("inbox")
        if inbox is None:  # not started in webhook mode
            return PlainTextResponse("not ready", status_code=503)
        # stored before answering: once Telegram has its 200 the update survives a crash
        await inbox.receive(update, payload)
        return Response(status_code=200)

    async def payment_callback(request: Request) -> Response:
        """A local-currency provider's signed callback: verify, then apply at most once."""
        body = await request.body()
        try:
            payload, nonce = signing.verify(deps.settings.payment_key, dict(request.headers), body)
        except signing.BadSignature as err:
            logger.warning("Refused payment callback: %s", err)
            deps.metrics.payment_callbacks.labels("bad_signature").inc()
            return JSONResponse({"ok": False, "error": str(err)}, status_code=401)
        try:
            async with deps.sessions.begin() as session:
                outcome = await payments.apply_callback(
                    session, payload=payload, nonce=nonce, provider=deps.provider, now=deps.now()
                )
        except payments.CallbackRejected as err:
            logger.warning(
                "Refused payment callback for order %s: %s", payload.get("order_id"), err.reason
            )
            deps.metrics.payment_callbacks.labels("rejected").inc()
            return JSONResponse({"ok": False, "error": err.reason}, status_code=err.status)
        logger.info("Payment callback for order %s: %s", payload.get("order_id"), outcome.value)
        deps.metrics.payment_callbacks.labels(outcome.value).inc()
        deps.outbox_wakeup.set()
        return JSONResponse({"ok": True, "result": outcome.value})

    async def delivery_callback(request: Request) -> Response:
        """A delivery agency's signed callback: rider assigned, picked up, delivered."""
        body = await request.body()
        try:
            payload, nonce = signing.verify(deps.settings.payment_key, dict(request.headers), body)
        except signing.BadSignature as err:
            logger.warning("Refused delivery callback: %s", err)
            return JSONResponse({"ok": False, "error": str(err)}, status_code=401)
        try:
            async with deps.sessions.begin() as session:
                outcome = await deliveries.apply_callback(
                    session, payload=payload, nonce=nonce, now=deps.now()
                )
        except (payments.CallbackRejected, WrongState) as err:
            reason = err.reason if isinstance(err, payments.CallbackRejected) else str(err)
            status = err.status if isinstance(err, payments.CallbackRejected) else 409
            logger.warning(
                "Refused delivery callback for order %s: %s", payload.get("order_id"), reason
            )
            return JSONResponse({"ok": False, "error": reason}, status_code=status)
        logger.info("Delivery callback for order %s: %s", payload.get("order_id"), outcome)
        deps.outbox_wakeup.set()
        return JSONResponse({"ok": True, "result": outcome})

    async def healthz(_: Request) -> Response:
        """Liveness: the process answers."""
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        """Readiness: the database answers and its migrations are current."""
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await db.current_revision(engine)
        except Exception:  # any database failure means not ready
            logger.warning("Readiness check failed", exc_info=True)
            return JSONResponse({"ready": False, "database": "unreachable"}, status_code=503)
        head = db.head_revision()
        ready = current == head
        return JSONResponse(
            {"ready": ready, "revision": current, "head": head}, status_code=200 if ready else 503
        )

    async def metrics(_: Request) -> Response:
        """Prometheus metrics of this instance (the outbox figures are the database's)."""
        try:
            async with deps.reads() as session:
                waiting = await outbox.pending(session)
                oldest = await outbox.oldest_pending(session)
        except Exception:  # metrics must answer even when the database does not
            logger.warning("Outbox figures unavailable for /metrics", exc_info=True)
        else:
            deps.metrics.outbox_pending.set(waiting)
            lag = (deps.now() - oldest).total_seconds() if oldest is not None else 0.0
            deps.metrics.outbox_lag.set(max(0.0, lag))
        return Response(deps.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes: list[BaseRoute] = [
        Route(WEBHOOK_PATH, webhook, methods=["POST"]),
        Route(CALLBACK_PATH, payment_callback, methods=["POST"]),
        Route(DELIVERY_PATH, delivery_callback, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        *extra,
    ]
    return Starlette(routes=routes)
