"""Health and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from ..deps import ServiceDep

router = APIRouter(tags=["operations"])


@router.get("/health")
def health(service: ServiceDep) -> dict[str, Any]:
    """Chain id, head block, indexed block and contract addresses."""
    head = int(service.client.w3.eth.block_number)
    indexed = service.indexer.indexed_block
    service.metrics.head_block.set(head)
    service.metrics.indexed_block.set(indexed)
    service.metrics.index_lag.set(max(0, head - indexed))
    return {
        "status": "ok" if head - indexed <= 1 else "lagging",
        "chainId": service.deployment.chain_id,
        "headBlock": head,
        "indexedBlock": indexed,
        "indexLag": max(0, head - indexed),
        "contracts": {name: rec.address for name, rec in service.deployment.contracts.items()},
    }


def metrics_endpoint(service: ServiceDep) -> Response:
    """Prometheus text format."""
    head = int(service.client.w3.eth.block_number)
    indexed = service.indexer.indexed_block
    service.metrics.head_block.set(head)
    service.metrics.indexed_block.set(indexed)
    service.metrics.index_lag.set(max(0, head - indexed))
    return Response(service.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
