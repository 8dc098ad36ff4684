"""Prometheus metrics of the service.

Under `hurong serve` the worker processes keep their metrics in the folder named by `PROMETHEUS_MULTIPROC_DIR`
(prometheus_client's multiprocess mode, chosen when prometheus_client is first imported), and every scrape, in
whichever worker it lands, adds up the counters and histograms of all workers, those that have exited included.
The gauges report the most recent value set by a live worker. Without that variable (an application built inside
another process, as in tests) the metrics are this process's own.
"""

from __future__ import annotations

import atexit
import os
import re
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from api.launcher import process_alive

#: The variable naming the multiprocess metrics folder (set by `hurong serve` before its workers start).
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A live-gauge file of one process: `gauge_livemostrecent_<pid>.db`.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")
_marked_at_exit: set[int] = set()


class Metrics:
    def __init__(self) -> None:
        folder = os.environ.get(MULTIPROCESS_ENV)
        # Values live in the folder only if the variable was set when prometheus_client was imported.
        shared = folder and values.ValueClass is not values.MutexValue
        self.multiprocess_folder = Path(folder) if folder and shared else None
        if self.multiprocess_folder is not None and os.getpid() not in _marked_at_exit:
            _marked_at_exit.add(os.getpid())
            atexit.register(mark_process_dead, os.getpid(), str(self.multiprocess_folder))
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
        self._served: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.verifications = Counter(
            "hurong_verifications_total", "Certificates verified", ["verdict"], registry=self.registry
        )
        self.batches = Counter("hurong_batches_anchored_total", "Batches anchored", registry=self.registry)
        self.certificates = Counter("hurong_certificates_issued_total", "Certificates issued", registry=self.registry)
        self.batch_seconds = Histogram(
            "hurong_batch_anchor_seconds", "Time to issue and anchor a batch", registry=self.registry
        )
        # The chain and the shared index are the same for every worker: the latest reading is the true one.
        self.head_block = Gauge(
            "hurong_chain_head_block", "Chain head block", registry=self.registry, multiprocess_mode="livemostrecent"
        )
        self.indexed_block = Gauge(
            "hurong_indexed_block", "Last indexed block", registry=self.registry, multiprocess_mode="livemostrecent"
        )
        self.index_lag = Gauge(
            "hurong_index_lag_blocks",
            "Blocks the index lags the chain",
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )

        # Supervision: alerts raised (by the worker holding the supervisor's lease) and open, assist requests open
        # and overdue, usage-log periods anchored and the latest anchoring latency.
        self.alerts_raised = Counter(
            "hurong_alerts_total", "Supervision alerts raised", ["rule", "severity"], registry=self.registry
        )
        self.alerts_open = Gauge(
            "hurong_alerts_open", "Open supervision alerts", ["rule", "severity"], registry=self.registry,
            multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self.assist_requests = Gauge(
            "hurong_assist_requests", "Assist requests not answered", ["state"], registry=self.registry,
            multiprocess_mode="livemostrecent",
        )  # fmt: skip
        self.usage_anchors = Counter(
            "hurong_usage_anchors_total", "Usage-log periods anchored", ["province"], registry=self.registry
        )
        self.usage_anchor_latency = Gauge(
            "hurong_usage_anchor_latency_seconds", "Seconds from a usage-log period's end to its anchor",
            ["province"], registry=self.registry, multiprocess_mode="livemostrecent",
        )  # fmt: skip

    def request_served(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request by method, route template and status, and observe its latency."""
        key = (method, route, status)
        children = self._served.get(key)
        if children is None:  # prometheus_client looks a labelled child up under a lock: once per key here
            children = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._served[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def usage_anchored(self, province: str, latency: float) -> None:
        self.usage_anchors.labels(province).inc()
        self.usage_anchor_latency.labels(province).set(latency)

    def batch_anchored(self, count: int, seconds: float) -> None:
        self.batches.inc()
        self.certificates.inc(count)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text of every worker's metrics (multiprocess mode), or of this process's."""
        if self.multiprocess_folder is None:
            return generate_latest(self.registry)
        forget_dead_workers(self.multiprocess_folder)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(self.multiprocess_folder))  # type: ignore[no-untyped-call]
        return generate_latest(registry)


def forget_dead_workers(folder: Path) -> None:
    """Drop the live gauges of worker processes that are gone (killed, so their exit hook never ran); their
    counters stay, so totals never go down."""
    for path in folder.glob("gauge_live*_*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not process_alive(int(match[1])):
            mark_process_dead(int(match[1]), str(folder))  # type: ignore[no-untyped-call]
