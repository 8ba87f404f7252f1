"""Powertools logger, metrics and tracer, shared by every entrypoint."""

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "balie"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Balie", service=SERVICE)


@cache
def tracer() -> Any:
    """X-Ray tracing of AWS calls, created with the first AWS client and only when enabled.

    Creating a Powertools Tracer imports the X-Ray SDK and botocore (~280 ms here) even when
    tracing is disabled, so it must not happen at import time.
    """
    from aws_lambda_powertools import Tracer

    return Tracer(service=SERVICE)


def count(name: str, tenant: str, value: int = 1) -> None:
    """A business metric per tenant (tickets created, mails in/out, breaches)."""
    metrics.add_dimension(name="tenant", value=tenant)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    flush()


def flush() -> None:
    # Flushed per metric: a dimension set must not leak into the next tenant's request in a
    # warm container.
    if metrics.metric_set:
        metrics.flush_metrics()


def gauge(name: str, value: float, stage: str) -> None:
    """A figure of the whole stage (not per tenant): one custom metric, whatever the tenants."""
    metrics.add_dimension(name="stage", value=stage)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    flush()
