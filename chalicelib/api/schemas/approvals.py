"""Approval of service requests: the approver's decision, in the API or by a mailed link."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.api.schemas.common import Schema, Strict

Comment = Annotated[str, StringConstraints(max_length=4000)]


class ApprovalDecision(Strict):
    decision: Literal["approve", "reject"]
    comment: Comment = Field(
        default="", description="required when rejecting: the requester gets it"
    )


class LinkDecision(Strict):
    comment: Comment = Field(default="", description="required when the link rejects")


class ApprovalState(Schema):
    """What a link shows and does; no more of the ticket than the approver's mail said."""

    number: int
    subject: str
    requester: str
    decision: Literal["approve", "reject"] = Field(description="what this link decides")
    state: Literal["pending", "approved", "rejected"]
