"""One typed view of the environment; every resource name and limit comes from here."""

from functools import cache
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BALIE_", frozen=True, extra="ignore")

    stage: str = "local"
    region: str = Field(
        default="eu-west-1",
        validation_alias=AliasChoices("BALIE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")

    table_name: str = "balie"
    # The stream that feeds the event publisher; set per stage by the deployment template.
    table_stream_arn: str = "arn:aws:dynamodb:eu-west-1:000000000000:table/balie/stream/local"
    event_bus_name: str = "balie"
    bucket_name: str = "balie-files"
    inbound_queue_url: str = ""
    notifications_queue_url: str = ""
    # The queues that trigger the mail workers; set per stage by the deployment template.
    inbound_queue_arn: str = "arn:aws:sqs:eu-west-1:000000000000:balie-inbound"
    notifications_queue_arn: str = "arn:aws:sqs:eu-west-1:000000000000:balie-notifications"
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    # Where the pool's signing keys are published; derived from the pool id unless set
    # (tests point it at moto's bundled key set with a file:// URL).
    jwks_url: str | None = None

    # X-Ray subsegments for AWS calls; off by default because the SDK lengthens cold starts.
    tracing: bool = False

    max_body_bytes: int = 200_000
    idempotency_hours: int = 24

    # Mail: files larger than these are not attached (the sender is told), and no address
    # gets more automatic mails per hour than this, whatever loops around it.
    mail_max_file_bytes: int = 10_000_000
    mail_max_message_bytes: int = 25_000_000
    mail_automatic_per_hour: int = 5
    # The portal's address in links we mail (the API Gateway stage URL or a custom domain).
    portal_url: str = "http://127.0.0.1:8077"
    # SES configuration set whose bounce and complaint events come back to Balie.
    ses_configuration_set: str | None = None
    # Locally, every mail Balie sends is also written here as an .eml file.
    outbox_dir: str | None = None

    # Webhooks (docs/webhooks.md): their delivery queue, set per stage by the template.
    webhooks_queue_url: str = ""
    webhooks_queue_arn: str = "arn:aws:sqs:eu-west-1:000000000000:balie-webhooks"
    # Seconds to connect, and again to wait for the answer, per attempt.
    webhooks_timeout_seconds: float = 5.0
    # Tests and a local demo only: admits loopback targets (and http:// to them). Never set
    # by infra/template.yaml; tests/deploy checks that the deployed stack leaves it off.
    webhooks_allow_loopback: bool = False

    # Recurring-incident detection (docs/catalog-and-problems.md): the daily job compares the
    # incidents of this many days, suggests clusters of this many, and reads at most this
    # many items of a tenant's ticket index. A tenant item may set its own window and minimum
    # (`recurring_window_days`, `recurring_min_incidents`).
    recurring_window_days: int = 14
    recurring_min_incidents: int = 3
    recurring_max_read: int = 2000
    # Uploads (docs/web.md, "Attachments"): straight to the files bucket with a presigned
    # POST; S3 notifies the uploads queue when a file has arrived.
    upload_max_bytes: int = 20_000_000
    upload_max_per_ticket: int = 20
    uploads_queue_url: str = ""
    uploads_queue_arn: str = "arn:aws:sqs:eu-west-1:000000000000:balie-uploads"

    @property
    def upload_origins(self) -> tuple[str, ...]:
        """Where browsers send uploads: the origins a page's CSP must let scripts reach."""
        if self.aws_endpoint_url:
            parts = urlsplit(self.aws_endpoint_url)
            return (f"{parts.scheme}://{parts.netloc}",)
        bucket = self.bucket_name
        # boto3 signs POSTs for the global or the regional virtual-hosted name.
        return (
            f"https://{bucket}.s3.amazonaws.com",
            f"https://{bucket}.s3.{self.region}.amazonaws.com",
        )

    @property
    def token_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def signing_keys_url(self) -> str:
        if self.jwks_url:
            return self.jwks_url
        base = (self.aws_endpoint_url or self.token_issuer).rstrip("/")
        if self.aws_endpoint_url:
            base = f"{base}/{self.user_pool_id}"
        return f"{base}/.well-known/jwks.json"


@cache
def get_settings() -> Settings:
    return Settings()
