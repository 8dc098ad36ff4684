"""Prometheus metrics of the service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hurong_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "hurong_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.verifications = Counter(
            "hurong_verifications_total", "Certificates verified", ["verdict"], registry=self.registry
        )
        self.batches = Counter("hurong_batches_anchored_total", "Batches anchored", registry=self.registry)
        self.certificates = Counter("hurong_certificates_issued_total", "Certificates issued", registry=self.registry)
        self.batch_seconds = Histogram(
            "hurong_batch_anchor_seconds", "Time to issue and anchor a batch", registry=self.registry
        )
        self.head_block = Gauge("hurong_chain_head_block", "Chain head block", registry=self.registry)
        self.indexed_block = Gauge("hurong_indexed_block", "Last indexed block", registry=self.registry)
        self.index_lag = Gauge("hurong_index_lag_blocks", "Blocks the index lags the chain", registry=self.registry)

    def batch_anchored(self, count: int, seconds: float) -> None:
        self.batches.inc()
        self.certificates.inc(count)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
