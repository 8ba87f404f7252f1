"""Powertools logger, metrics and tracer, shared by every entrypoint."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "balie"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Balie", service=SERVICE)
tracer = Tracer(service=SERVICE)
