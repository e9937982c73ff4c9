"""Prometheus metrics of one instance, served at /metrics (each instance has its own)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def update_kind(update: object) -> str:
    """message, callback, or other: the label updates are counted by."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return "callback"
        if update.message is not None:
            return "message"
    return "other"


class Metrics:
    """Counters and gauges in a registry of their own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "gongbae_updates", "Updates handled", ["kind"], registry=self.registry
        )
        self.update_seconds = Histogram(
            "gongbae_update_seconds",
            "Time to handle one update, waiting for the chat's earlier updates included",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.payment_callbacks = Counter(
            "gongbae_payment_callbacks",
            "Payment callbacks from the local-currency provider, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.ads = Counter(
            "gongbae_ads", "Campaign ads, by outcome", ["outcome"], registry=self.registry
        )
        self.outbox_pending = Gauge(
            "gongbae_outbox_pending",
            "Messages waiting in the outbox (all instances)",
            registry=self.registry,
        )
        self.outbox_lag = Gauge(
            "gongbae_outbox_lag_seconds",
            "Age of the oldest message waiting in the outbox (0 when none)",
            registry=self.registry,
        )

    def handled(self, update: object, seconds: float) -> None:
        """Count one handled update and its latency."""
        kind = update_kind(update)
        self.updates.labels(kind).inc()
        self.update_seconds.labels(kind).observe(seconds)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
