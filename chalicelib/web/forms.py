"""What the page forms accept: values kept for redisplay, errors per field as catalog
messages. The services validate again; these checks are for friendly answers."""

import re
from dataclasses import dataclass, field

from chalicelib.domain.tickets import Level, TicketType
from chalicelib.services.tickets import NewTicket
from chalicelib.web.i18n import N_
from chalicelib.web.labels import FORM_TYPES

# The API's limits (api/schemas/tickets.py), so a page accepts what the API accepts.
SUBJECT_MAX = 200
BODY_MAX = 100_000
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

REQUIRED = N_("Please fill this in.")


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, name: str, *, max_length: int, message_too_long: str) -> str:
        """A required text field, stripped; an error is recorded when it is empty or long."""
        value = self.values.get(name, "").strip()
        self.values[name] = value
        if not value:
            self.errors[name] = REQUIRED
        elif len(value) > max_length:
            self.errors[name] = message_too_long
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.values.get(name, "")
        if value not in allowed:
            self.errors[name] = N_("Please choose one of the options.")
        return value


def sign_in(values: dict[str, str]) -> Form:
    form = Form({"email": values.get("email", "").strip(), "password": values.get("password", "")})
    if not _EMAIL.match(form.values["email"]):
        form.errors["email"] = N_("Enter your e-mail address, like name@example.com.")
    if not form.values["password"]:
        form.errors["password"] = REQUIRED
    return form


def reset_request(values: dict[str, str]) -> Form:
    form = Form({"email": values.get("email", "").strip()})
    if not _EMAIL.match(form.values["email"]):
        form.errors["email"] = N_("Enter your e-mail address, like name@example.com.")
    return form


def reset_confirm(values: dict[str, str]) -> Form:
    form = reset_request(values)
    form.values["code"] = values.get("code", "").strip()
    form.values["password"] = values.get("password", "")
    if not form.values["code"]:
        form.errors["code"] = REQUIRED
    if len(form.values["password"]) < 12:
        form.errors["password"] = N_(
            "Use at least 12 characters, with upper and lower case letters, a digit and a symbol."
        )
    return form


def new_ticket(values: dict[str, str]) -> tuple[Form, NewTicket | None]:
    """The new-ticket form and, when it is valid, the ticket it asks for."""
    form = Form(dict(values))
    subject = form.text(
        "subject",
        max_length=SUBJECT_MAX,
        message_too_long=N_("Keep the subject to 200 characters or fewer."),
    )
    description = form.text(
        "description",
        max_length=BODY_MAX,
        message_too_long=N_("The description is too long."),
    )
    levels = tuple(level.value for level in Level)
    impact = form.choice("impact", levels)
    urgency = form.choice("urgency", levels)
    kind = form.choice("type", tuple(t.value for t in FORM_TYPES))
    if not form.ok:
        return form, None
    return form, NewTicket(
        subject=subject,
        description=description,
        type=TicketType(kind),
        impact=Level(impact),
        urgency=Level(urgency),
    )


def reply(values: dict[str, str]) -> Form:
    form = Form({"body": values.get("body", "")})
    form.text("body", max_length=BODY_MAX, message_too_long=N_("The reply is too long."))
    return form


def nonce(values: dict[str, str]) -> str | None:
    """The form's one-time id, if it is one we could have issued."""
    value = values.get("nonce", "")
    return value if _NONCE.match(value) else None


COMMENT_MAX = 2000


def rating(values: dict[str, str]) -> Form:
    """The portal's survey: good or bad, and a comment if the requester wants to add one."""
    form = Form({"rating": values.get("rating", ""), "comment": values.get("comment", "").strip()})
    form.choice("rating", ("good", "bad"))
    if len(form.values["comment"]) > COMMENT_MAX:
        form.errors["comment"] = N_("Keep your comment under 2,000 characters.")
    return form


def survey_comment(values: dict[str, str]) -> Form:
    form = Form(dict(values))
    form.text(
        "comment",
        max_length=COMMENT_MAX,
        message_too_long=N_("Keep your comment under 2,000 characters."),
    )
    return form
