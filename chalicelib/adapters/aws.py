"""Lazily created, cached boto3 clients: importing this module costs nothing at cold start."""

from functools import cache
from typing import Any

from chalicelib.settings import get_settings


@cache
def client(service: str) -> Any:
    import boto3  # deferred: ~150 ms that only the first AWS call should pay

    settings = get_settings()
    if settings.tracing:
        from chalicelib.observability import tracer

        tracer()  # patches botocore, so the calls below appear as X-Ray subsegments
    return boto3.client(service, region_name=settings.region)


def reset_clients() -> None:
    """Forget cached clients (tests that swap endpoints or mocks between cases)."""
    client.cache_clear()
