"""The files bucket: attachments and raw inbound mail."""

from urllib.parse import quote

from chalicelib.adapters.aws import client
from chalicelib.settings import get_settings

# Long enough to start a download on a slow line, short enough that a leaked link expires.
DOWNLOAD_SECONDS = 300


def put(key: str, content: bytes, content_type: str) -> None:
    client("s3").put_object(
        Bucket=get_settings().bucket_name, Key=key, Body=content, ContentType=content_type
    )


def get(key: str) -> bytes:
    answer = client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)
    return answer["Body"].read()


def delete(key: str) -> None:
    client("s3").delete_object(Bucket=get_settings().bucket_name, Key=key)


def download_url(key: str, filename: str, content_type: str) -> str:
    """A short-lived link that downloads the file under its own name, never renders it."""
    return client("s3").generate_presigned_url(
        "get_object",
        Params={
            "Bucket": get_settings().bucket_name,
            "Key": key,
            "ResponseContentDisposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "ResponseContentType": content_type,
        },
        ExpiresIn=DOWNLOAD_SECONDS,
    )


def upload_form(
    key: str, content_type: str, max_size: int, expires_seconds: int
) -> dict[str, object]:
    """A presigned POST for exactly one object: this key, this Content-Type, 1..max_size
    bytes, valid for `expires_seconds`. S3 refuses any upload outside these conditions."""
    return client("s3").generate_presigned_post(
        Bucket=get_settings().bucket_name,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"key": key},
            {"Content-Type": content_type},
            ["content-length-range", 1, max_size],
        ],
        ExpiresIn=expires_seconds,
    )


def head(key: str) -> tuple[int, str] | None:
    """(size, content type) of an object, or None when there is none under `key`."""
    s3 = client("s3")
    try:
        answer = s3.head_object(Bucket=get_settings().bucket_name, Key=key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(answer["ContentLength"]), str(answer.get("ContentType") or "")
