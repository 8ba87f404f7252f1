"""Balie: wiring only. Routes live in chalicelib/api, event handlers in chalicelib/workers."""

from datetime import UTC, datetime
from typing import Any

from chalice import Chalice, Cron, Rate
from chalice.app import CloudWatchEvent, DynamoDBEvent, SQSEvent

from chalicelib.api import middleware
from chalicelib.api.routes import blueprints
from chalicelib.settings import get_settings
from chalicelib.web.routes import blueprints as web_blueprints
from chalicelib.workers import daily, sla_tick

app = Chalice(app_name="balie")

middleware.register(app)
for blueprint in blueprints():
    app.register_blueprint(blueprint)
for blueprint in web_blueprints():
    app.register_blueprint(blueprint)


@app.on_dynamodb_record(stream_arn=get_settings().table_stream_arn, batch_size=100)
def handle_table_stream(event: DynamoDBEvent) -> dict[str, Any]:
    # Every function imports this module; only this one needs Powertools' batch utilities
    # (~40 ms), so the HTTP API's cold start does not pay for them.
    from chalicelib.workers import table_stream

    return table_stream.handle_table_stream_event(event.to_dict(), app.lambda_context)


# Queue ARNs are set per stage by the deployment template (infra/template.yaml).
@app.on_sqs_message(queue_arn=get_settings().inbound_queue_arn, batch_size=10)
def handle_inbound_email(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.workers import inbound_email

    return inbound_email.handle_inbound_event(event.to_dict(), app.lambda_context)


@app.on_sqs_message(queue_arn=get_settings().notifications_queue_arn, batch_size=10)
def handle_notification(event: SQSEvent) -> dict[str, Any]:
    from chalicelib.workers import notifications

    return notifications.handle_notification_event(event.to_dict(), app.lambda_context)


@app.on_sqs_message(queue_arn=get_settings().webhooks_queue_arn, batch_size=5)
def handle_webhook_delivery(event: SQSEvent) -> dict[str, Any]:
    # Five per batch: each POST may take twice the webhook timeout (connect, then answer).
    from chalicelib.workers import webhooks

    return webhooks.handle_webhook_delivery_event(event.to_dict(), app.lambda_context)


@app.on_sqs_message(queue_arn=get_settings().uploads_queue_arn, batch_size=10)
def handle_attachment_upload(event: SQSEvent) -> dict[str, Any]:
    # S3 tells the uploads queue that a file a browser sent has arrived.
    from chalicelib.workers import uploads

    return uploads.handle_upload_event(event.to_dict(), app.lambda_context)


@app.schedule(Rate(1, unit=Rate.MINUTES))
def handle_sla_tick(event: CloudWatchEvent) -> dict[str, Any]:
    return sla_tick.sweep(datetime.now(UTC))


# Early morning in Europe, when few people work tickets.
@app.schedule(Cron(0, 3, "*", "*", "?", "*"))
def handle_daily(event: CloudWatchEvent) -> dict[str, Any]:
    return daily.run(datetime.now(UTC))
