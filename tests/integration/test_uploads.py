"""Uploading a file to a ticket: presigned POST → S3 (moto) → notification → stored.

moto delivers the bucket's ObjectCreated notification to the uploads queue for a presigned
POST, as S3 does; it does not enforce the POST policy's conditions (size, type, key), which
is why the worker checks the object it finds against what was granted.
"""

import json

import pytest
import requests

from chalicelib.adapters.aws import client
from chalicelib.settings import get_settings
from chalicelib.workers.uploads import handle_upload_event
from local.queues import QueuePoller
from tests.integration.test_tickets_api import ACME_AGENT, AGENT, REQUESTER, REQUESTER2, patch

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ask(api, number, as_=REQUESTER, **fields):
    body = {"filename": "screen.png", "content_type": "image/png", "size": len(PNG), **fields}
    return api.call("POST", f"/v1/tickets/{number}/attachments", as_=as_, body=body)


def send(granted, content=PNG, content_type="image/png"):
    """What a browser does with the form: multipart POST, the fields first, then the file."""
    form = granted["upload"]
    answer = requests.post(
        form["url"], data=form["fields"], files={"file": ("x", content, content_type)}, timeout=10
    )
    assert answer.status_code in (200, 201, 204), answer.text
    return answer


@pytest.fixture
def uploads(aws_env):
    return QueuePoller(aws_env["BALIE_UPLOADS_QUEUE_URL"], aws_env["BALIE_UPLOADS_QUEUE_ARN"],
                       handle_upload_event, "uploads")  # fmt: skip


def listed(api, number, as_=REQUESTER):
    answer = api.call("GET", f"/v1/tickets/{number}/attachments", as_=as_)
    assert answer.status_code == 200, answer.body
    return answer.json_body["items"]


def added_events(api, number):
    events = api.call("GET", f"/v1/tickets/{number}/events", as_=AGENT).json_body["items"]
    return [e for e in events if e["type"] == "attachment.added"]


def test_given_a_requester_ticket_when_a_file_is_uploaded_then_it_is_listed_and_downloadable(
    api, uploads
):
    number = api.create_ticket()["number"]

    answer = ask(api, number)
    assert answer.status_code == 201, answer.body
    granted = answer.json_body
    assert answer.headers["Cache-Control"] == "no-store"
    assert granted["upload"]["fields"]["key"] == f"attachments/demo/{number}/{granted['id']}"
    assert granted["upload"]["fields"]["Content-Type"] == "image/png"
    send(granted)
    assert uploads.drain() >= 1

    (item,) = listed(api, number)
    assert (item["id"], item["filename"], item["size"]) == (granted["id"], "screen.png", len(PNG))
    assert [i["id"] for i in listed(api, number, as_=AGENT)] == [granted["id"]]
    download = api.call("GET", f"/v1/tickets/{number}/attachments/{granted['id']}", as_=REQUESTER)
    assert download.status_code == 302
    assert requests.get(download.headers["Location"], timeout=10).content == PNG
    (event,) = added_events(api, number)
    assert event["data"]["attachment"] == granted["id"]


def confirm(api, number, granted, as_=REQUESTER):
    path = f"/v1/tickets/{number}/attachments/{granted['id']}/confirm"
    return api.call("POST", path, as_=as_)


def test_given_a_sent_upload_when_the_client_confirms_it_then_it_is_listed_at_once(api, uploads):
    number = api.create_ticket()["number"]
    granted = ask(api, number).json_body

    early = confirm(api, number, granted)
    assert early.status_code == 409, early.body  # nothing sent yet: try again after sending
    send(granted)
    answer = confirm(api, number, granted)

    assert answer.status_code == 200, answer.body
    assert answer.json_body == {"id": granted["id"], "outcome": "stored"}
    assert [i["id"] for i in listed(api, number)] == [granted["id"]]
    # S3's notification comes after and changes nothing; nor does a second confirm.
    uploads.drain()
    assert confirm(api, number, granted).json_body["outcome"] == "duplicate"
    assert len(added_events(api, number)) == 1


def test_given_a_file_that_breaks_its_grant_when_confirmed_then_422_and_it_is_gone(api, uploads):
    number = api.create_ticket()["number"]
    granted = ask(api, number).json_body
    send(granted, content=PNG * 2)  # larger than granted (moto does not enforce the policy)

    answer = confirm(api, number, granted)

    assert answer.status_code == 422, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert listed(api, number) == []
    assert confirm(api, number, granted).status_code == 404  # the grant is used up


def test_given_someone_elses_ticket_then_confirming_its_upload_is_404(api, uploads):
    number = api.create_ticket()["number"]
    granted = ask(api, number).json_body
    send(granted)

    assert confirm(api, number, granted, as_=REQUESTER2).status_code == 404
    assert confirm(api, number, granted, as_=ACME_AGENT).status_code == 404


def test_given_an_upload_granted_but_not_arrived_then_nobody_sees_or_downloads_it(api, uploads):
    number = api.create_ticket()["number"]
    granted = ask(api, number).json_body

    assert listed(api, number) == []
    assert listed(api, number, as_=AGENT) == []
    path = f"/v1/tickets/{number}/attachments/{granted['id']}"
    assert api.call("GET", path, as_=AGENT).status_code == 404
    # The pending item carries the TTL that removes it if the file never comes.
    item = client("dynamodb").get_item(
        TableName=api_table(),
        Key={"PK": {"S": f"T#demo#TICKET#{number}"}, "SK": {"S": f"ATT#{granted['id']}"}},
    )["Item"]
    assert item["status"]["S"] == "pending"
    assert int(item["expires_at"]["N"]) > 0


def api_table():
    return get_settings().table_name


def test_given_the_same_notification_twice_then_the_second_changes_nothing(api, uploads):
    number = api.create_ticket()["number"]
    granted = ask(api, number).json_body
    send(granted)
    received = client("sqs").receive_message(
        QueueUrl=uploads.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
    )["Messages"]
    # Besides the upload's, S3's TestEvent from when the notification was configured.
    (message,) = [m for m in received if "ObjectCreated" in m["Body"]]
    record = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": message["Body"],
                           "attributes": {}, "messageAttributes": {}, "md5OfBody": "",
                           "eventSource": "aws:sqs", "eventSourceARN": uploads.queue_arn,
                           "awsRegion": "eu-west-1"}]}  # fmt: skip

    assert handle_upload_event(record) == {"batchItemFailures": []}
    assert handle_upload_event(record) == {"batchItemFailures": []}

    assert len(listed(api, number)) == 1
    assert len(added_events(api, number)) == 1


def test_given_someone_elses_ticket_then_asking_to_upload_is_not_found(api):
    number = api.create_ticket()["number"]

    assert ask(api, number, as_=REQUESTER2).status_code == 404
    assert ask(api, number, as_=ACME_AGENT).status_code == 404
    assert ask(api, number, as_=AGENT).status_code == 201


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"size": 20_000_001}, "size"),
        ({"filename": "setup.exe", "content_type": "application/octet-stream"}, "filename"),
        ({"filename": "page.html", "content_type": "text/html"}, "content_type"),
        ({"content_type": "not a type"}, "content_type"),
    ],
)
def test_given_a_file_that_may_not_be_attached_then_a_422_problem_names_the_field(
    api, fields, field
):
    number = api.create_ticket()["number"]

    answer = ask(api, number, **fields)

    assert answer.status_code == 422, answer.body
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in answer.json_body["errors"]]
    assert listed(api, number, as_=AGENT) == []


def test_given_a_closed_ticket_then_no_upload_is_granted(api):
    number = api.create_ticket()["number"]
    assert patch(api, number, {"status": "resolved"}, 1).status_code == 200
    assert patch(api, number, {"status": "closed"}, 2).status_code == 200

    answer = ask(api, number)

    assert answer.status_code == 409
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_given_a_file_larger_than_granted_when_it_arrives_then_it_is_deleted(api, uploads):
    # Real S3 refuses this POST (content-length-range); moto does not, so the worker's own
    # check is what is tested here.
    number = api.create_ticket()["number"]
    granted = ask(api, number, size=10).json_body
    send(granted, content=b"x" * 11)

    uploads.drain()

    assert listed(api, number, as_=AGENT) == []
    assert added_events(api, number) == []
    objects = client("s3").list_objects_v2(
        Bucket=get_settings().bucket_name,
        Prefix=f"attachments/demo/{number}/",
    )
    assert objects.get("KeyCount", 0) == 0


def test_given_a_ticket_with_its_files_full_then_the_next_is_refused(api, monkeypatch):
    from chalicelib import wiring
    from chalicelib.domain.uploads import UploadLimits

    monkeypatch.setattr(wiring.attachment_service(), "limits", UploadLimits(20_000_000, 2))
    number = api.create_ticket()["number"]
    assert ask(api, number).status_code == 201
    assert ask(api, number).status_code == 201

    answer = ask(api, number)

    assert answer.status_code == 422
    assert "at most 2 files" in answer.body.decode()


def test_given_a_mail_attachment_created_under_attachments_then_the_worker_leaves_it(api, uploads):
    bucket = get_settings().bucket_name
    client("s3").put_object(Bucket=bucket, Key="attachments/demo/01MAILBORNE", Body=b"x")

    assert uploads.drain() >= 1

    assert client("s3").head_object(Bucket=bucket, Key="attachments/demo/01MAILBORNE")


def test_given_a_file_nobody_asked_for_then_the_worker_deletes_it(api, uploads):
    bucket = get_settings().bucket_name
    number = api.create_ticket()["number"]
    key = f"attachments/demo/{number}/01NOBODYASKED"
    client("s3").put_object(Bucket=bucket, Key=key, Body=b"x")

    uploads.drain()

    assert client("s3").list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) == 0
    assert json.dumps(listed(api, number, as_=AGENT)) == "[]"


def test_given_a_stored_upload_then_the_table_stream_publishes_its_event_without_failing(
    api, uploads, aws_env
):
    from chalicelib.workers.table_stream import handle_table_stream_event
    from tests.integration.test_domain_events import stream_records

    number = api.create_ticket()["number"]
    send(ask(api, number).json_body)
    uploads.drain()

    records = stream_records(aws_env["BALIE_TABLE_STREAM_ARN"])
    images = [r["dynamodb"].get("NewImage", {}) for r in records]
    assert any(i.get("type", {}).get("S") == "attachment.added" for i in images)
    assert handle_table_stream_event({"Records": records}) == {"batchItemFailures": []}
