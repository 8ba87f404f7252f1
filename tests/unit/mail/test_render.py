"""Notification templates: complete in both languages, escaped in HTML and only there."""

import copy
from pathlib import Path
from typing import Any

import jinja2
import pytest

from chalicelib.adapters.mail import render as render_module
from chalicelib.adapters.mail.render import LOCALES, TEMPLATES, Rendered, paragraphs, render

TEMPLATE_FOLDER = Path(render_module.__file__).parent / "templates"


def full_context(**overrides: Any) -> dict[str, Any]:
    """Every key any template may read, so StrictUndefined proves none reads more."""
    context: dict[str, Any] = {
        "tenant_name": "Demo Helpdesk",
        "signature": "Servicedesk Demo\n020 123 4567",
        "recipient_name": "Jan de Vries",
        "ticket": {
            "number": 1042,
            "subject": "Printer on 3rd floor jams",
            "status": "open",
            "priority": "P2",
            "requester_name": "Jan de Vries",
            "portal_url": "https://demo.example.com/portal/tickets/1042",
            "assignee": "Piet Jansen",
            "group": "Facilities",
        },
        "message": {
            "author_name": "Piet Jansen",
            "body": "Could you send the serial number?\n\nThanks!",
        },
        "survey": {
            "good_url": "https://demo.example.com/survey/1042/good?t=abc",
            "bad_url": "https://demo.example.com/survey/1042/bad?t=abc",
        },
        "reopen_url": "https://demo.example.com/portal/tickets/1042/reopen",
        "sla": {"clock": "first_response", "due_at": "23-11-2026 14:00"},
        "refused": [{"filename": "scan.pdf", "size": "32 MB"}],
        "limits": {"per_file": "10 MB", "per_message": "25 MB"},
        "fields": [{"key": "model", "value": "developer"}],
        "approve_url": "https://demo.example.com/approvals/tok-approve",
        "reject_url": "https://demo.example.com/approvals/tok-reject",
        "new_status": "pending",
        "unsubscribe_url": "https://demo.example.com/unsubscribe/1.payload.signature",
    }
    context.update(overrides)
    return context


def with_ticket(**fields: Any) -> dict[str, Any]:
    context = full_context()
    context["ticket"] = {**context["ticket"], **fields}
    return context


# --- completeness -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_given_a_full_context_when_rendering_then_every_part_is_filled(template, locale):
    rendered = render(template, locale, full_context())

    assert isinstance(rendered, Rendered)
    assert rendered.subject and "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "[#1042]" not in rendered.subject  # the caller adds the tag
    assert "Printer on 3rd floor jams" in rendered.subject
    assert rendered.text.endswith("\n") and "\n\n\n" not in rendered.text
    assert f'<html lang="{locale}">' in rendered.html
    assert "Demo Helpdesk" in rendered.html  # the tenant as header
    assert "{{" not in rendered.text + rendered.html and "{%" not in rendered.text + rendered.html


COMMON_KEYS = ("tenant_name", "signature", "recipient_name", "ticket")


@pytest.mark.parametrize(
    ("template", "key"),
    [
        (template, key)
        for template in TEMPLATES
        for key in COMMON_KEYS
        # The agent greets the requester in their own words.
        if (template, key) != ("agent_reply", "recipient_name")
    ],
)
def test_given_a_common_key_missing_when_rendering_then_it_fails_loudly(template, key):
    context = full_context()
    del context[key]

    with pytest.raises(jinja2.UndefinedError):
        render(template, "nl", context)


@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("agent_reply", "message"),
        ("requester_replied", "message"),
        ("ticket_resolved", "survey"),
        ("ticket_resolved", "reopen_url"),
        ("sla_warning", "sla"),
        ("sla_breached", "sla"),
        ("attachments_refused", "refused"),
        ("attachments_refused", "limits"),
    ],
)
def test_given_a_template_specific_key_missing_when_rendering_then_it_fails(template, key):
    context = full_context()
    del context[key]

    with pytest.raises(jinja2.UndefinedError):
        render(template, "en", context)


def test_given_the_template_folder_then_both_locales_hold_the_same_files_for_every_template():
    names = {
        locale: sorted(path.name for path in (TEMPLATE_FOLDER / locale).iterdir())
        for locale in LOCALES
    }
    assert names["nl"] == names["en"]
    for template in TEMPLATES:
        for suffix in ("subject", "txt", "html"):
            assert f"{template}.{suffix}" in names["en"]
    assert (TEMPLATE_FOLDER / "_layout.html").is_file()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_given_no_signature_and_no_assignee_or_group_then_templates_still_render(template, locale):
    context = with_ticket(assignee=None, group=None)
    context["signature"] = None

    rendered = render(template, locale, context)

    assert "None" not in rendered.text and "None" not in rendered.html
    assert "Demo Helpdesk" in rendered.text  # the tenant signs when it has no signature


# --- escaping -----------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_given_markup_in_people_s_text_when_rendering_html_then_it_is_escaped(template, locale):
    context = full_context(
        tenant_name=f"Evil {SCRIPT}",
        recipient_name=f"Jan {SCRIPT}",
        signature=f"Sig {SCRIPT}",
        message={"author_name": f"Piet {SCRIPT}", "body": f"Body {SCRIPT}"},
        refused=[{"filename": f"{SCRIPT}.pdf", "size": "32 MB"}],
    )
    context["ticket"] = {**context["ticket"], "subject": f"Subject {SCRIPT}"}

    rendered = render(template, locale, context)

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    # Text and subject are not markup: escaping them would show "&lt;" to the reader.
    assert SCRIPT in rendered.subject
    assert SCRIPT in rendered.text


@pytest.mark.parametrize("locale", LOCALES)
def test_given_an_ampersand_then_text_keeps_it_and_html_escapes_it(locale):
    context = with_ticket(subject="R&D printer", portal_url="https://x.example/t?a=1&b=2")

    rendered = render("ticket_created", locale, context)

    assert "R&D printer" in rendered.subject
    assert "R&D printer" in rendered.text
    assert "https://x.example/t?a=1&b=2" in rendered.text
    assert "R&amp;D printer" in rendered.html
    assert 'href="https://x.example/t?a=1&amp;b=2"' in rendered.html


def test_given_a_multi_paragraph_message_then_html_keeps_its_paragraphs_and_line_breaks():
    body = "Hello Jan,\n\nLine one\nline two <b>not bold</b>\n\n\nBye"
    context = full_context(message={"author_name": "Piet", "body": body})

    rendered = render("agent_reply", "en", context)

    assert ">Hello Jan,</p>" in rendered.html
    assert "Line one<br>\nline two &lt;b&gt;not bold&lt;/b&gt;</p>" in rendered.html
    assert ">Bye</p>" in rendered.html
    # Text keeps the body as written, save that stacked blank lines shrink to one.
    assert body.replace("\n\n\n", "\n\n") in rendered.text


def test_given_plain_text_then_paragraphs_escapes_and_splits_it():
    html = str(paragraphs("a & b\r\nc\n \nd"))

    assert html.count("<p ") == 2
    assert "a &amp; b<br>\nc</p>" in html
    assert str(paragraphs(None)) == ""


def test_given_a_subject_with_line_breaks_then_the_rendered_subject_is_one_line():
    rendered = render("ticket_created", "en", with_ticket(subject="Printer\r\nBcc: x@evil.example"))

    assert rendered.subject == "We have received your request: Printer Bcc: x@evil.example"


# --- language -----------------------------------------------------------------------------


def test_given_dutch_then_the_requester_reads_natural_dutch_in_the_u_form():
    rendered = render("ticket_created", "nl", full_context())

    assert rendered.subject == "Wij hebben uw melding ontvangen: Printer on 3rd floor jams"
    assert "Beste Jan de Vries," in rendered.text
    assert "Wij hebben uw melding ontvangen" in rendered.text
    assert "Beantwoord dan deze e-mail" in rendered.html
    assert " je " not in rendered.text  # u-vorm, never je/jij


def test_given_english_then_the_requester_reads_english():
    rendered = render("ticket_created", "en", full_context())

    assert rendered.subject == "We have received your request: Printer on 3rd floor jams"
    assert "registered it under number 1042" in rendered.text
    assert "https://demo.example.com/portal/tickets/1042" in rendered.html


@pytest.mark.parametrize("locale", ["de", "fr-FR", "", "xx"])
def test_given_a_language_we_do_not_speak_then_english_is_used(locale):
    assert render("ticket_pending", locale, full_context()) == render(
        "ticket_pending", "en", full_context()
    )


@pytest.mark.parametrize("locale", ["NL", "nl-BE", "nl_NL"])
def test_given_a_dutch_language_tag_then_dutch_is_used(locale):
    assert render("ticket_pending", locale, full_context()) == render(
        "ticket_pending", "nl", full_context()
    )


def test_given_an_unknown_template_then_value_error():
    with pytest.raises(ValueError, match="unknown mail template"):
        render("ticket_exploded", "en", full_context())


# --- per template -------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_given_a_resolved_ticket_then_both_survey_links_and_the_reopen_link_appear(locale):
    rendered = render("ticket_resolved", locale, full_context())
    survey = full_context()["survey"]

    for url in (survey["good_url"], survey["bad_url"], full_context()["reopen_url"]):
        assert url in rendered.text
    assert 'href="https://demo.example.com/survey/1042/good?t=abc"' in rendered.html
    assert 'href="https://demo.example.com/survey/1042/bad?t=abc"' in rendered.html
    assert 'href="https://demo.example.com/portal/tickets/1042/reopen"' in rendered.html


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en", {"first_response": "first response", "resolution": "resolution"}),
        ("nl", {"first_response": "eerste reactie", "resolution": "oplossing"}),
    ],
)
@pytest.mark.parametrize("template", ["sla_warning", "sla_breached"])
def test_given_an_sla_clock_then_it_is_named_in_words(template, locale, words):
    for clock, word in words.items():
        rendered = render(template, locale, full_context(sla={"clock": clock, "due_at": "14:00"}))

        assert word in rendered.subject and word in rendered.text and word in rendered.html
        assert "_response" not in rendered.text  # never the raw clock name
        assert "14:00" in rendered.text


def test_given_an_unknown_sla_clock_then_rendering_fails():
    with pytest.raises(jinja2.UndefinedError):
        render("sla_warning", "en", full_context(sla={"clock": "lunch", "due_at": "14:00"}))


@pytest.mark.parametrize("locale", LOCALES)
def test_given_a_pending_ticket_with_and_without_the_agent_s_question(locale):
    asked = render("ticket_pending", locale, full_context())
    silent = render("ticket_pending", locale, full_context(message=None))

    assert "Could you send the serial number?" in asked.text
    assert "Could you send the serial number?" in asked.html
    assert "Piet Jansen" in asked.text
    assert "Piet Jansen" not in silent.text


@pytest.mark.parametrize("locale", LOCALES)
def test_given_an_agent_reply_then_the_requester_reads_the_agent_s_words_in_the_thread(locale):
    rendered = render("agent_reply", locale, full_context())

    assert rendered.subject == "Re: Printer on 3rd floor jams"
    assert rendered.text.startswith("Could you send the serial number?\n\nThanks!\n")
    assert "Piet Jansen" in rendered.text
    assert "Servicedesk Demo\n020 123 4567" in rendered.text
    assert "Servicedesk Demo<br>\n020 123 4567" in rendered.html


@pytest.mark.parametrize(
    ("locale", "to_you", "to_group"),
    [
        ("en", "Ticket assigned to you", "Ticket assigned to Facilities"),
        ("nl", "Ticket aan u toegewezen", "Ticket toegewezen aan Facilities"),
    ],
)
def test_given_an_assignment_then_the_subject_says_to_whom(locale, to_you, to_group):
    assert render("ticket_assigned", locale, full_context()).subject.startswith(to_you)
    assert render("ticket_assigned", locale, with_ticket(assignee=None)).subject.startswith(
        to_group
    )


@pytest.mark.parametrize(
    ("locale", "pending", "on_hold"),
    [("en", "waiting for the requester", "on hold"), ("nl", "wacht op aanvrager", "in de wacht")],
)
def test_given_a_status_then_agents_read_it_in_their_language(locale, pending, on_hold):
    waiting = render("requester_replied", locale, with_ticket(status="pending")).text
    held = render("requester_replied", locale, with_ticket(status="on_hold")).text

    assert pending in waiting and "pending" not in waiting
    assert on_hold in held and "on_hold" not in held


@pytest.mark.parametrize("locale", LOCALES)
def test_given_refused_attachments_then_each_file_and_the_limits_are_listed(locale):
    refused = [
        {"filename": "scan.pdf", "size": "32 MB"},
        {"filename": "foto.heic", "size": "12 MB"},
    ]
    rendered = render("attachments_refused", locale, full_context(refused=refused))

    for text in ("scan.pdf (32 MB)", "foto.heic (12 MB)", "10 MB", "25 MB"):
        assert text in rendered.text
        assert text in rendered.html
    assert rendered.html.count("<li>") == 2


def test_given_html_output_then_it_is_self_contained_and_styled_inline():
    for template in TEMPLATES:
        for locale in LOCALES:
            html = render(template, locale, full_context()).html
            assert "<img" not in html and "<link" not in html and "<style" not in html
            assert "<script" not in html
            assert "max-width:600px" in html
            assert "src=" not in html


def test_given_the_caller_s_context_then_render_does_not_change_it():
    context = full_context()
    before = copy.deepcopy(context)

    render("ticket_resolved", "nl", context)

    assert context == before


@pytest.mark.parametrize("locale", LOCALES)
def test_given_an_approval_request_then_the_approver_gets_both_links_and_the_form(locale):
    rendered = render("approval_requested", locale, full_context())
    for part in (rendered.text, rendered.html):
        assert "https://demo.example.com/approvals/tok-approve" in part
        assert "https://demo.example.com/approvals/tok-reject" in part
        assert "model: developer" in part
    assert "Printer on 3rd floor jams" in rendered.subject


# --- unsubscribe footer (announcements, watcher copies) ----------------------------------

ANNOUNCEMENT = {"title": "VPN maintenance", "body": "Down for a while.", "kind": "maintenance",
                "starts_at": "23-11-2026 20:00", "ends_at": "23-11-2026 22:00"}  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", ["announcement", "watcher_update"])
def test_given_an_unsubscribe_link_then_both_parts_show_it_in_the_footer(template, locale):
    url = "https://demo.example.com/unsubscribe/1.payload.signature"
    rendered = render(template, locale, full_context(announcement=ANNOUNCEMENT))
    assert url in rendered.text
    assert f'href="{url}"' in rendered.html


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", ["announcement", "watcher_update"])
def test_given_no_unsubscribe_link_then_no_footer_promises_one(template, locale):
    context = full_context(unsubscribe_url=None, announcement=ANNOUNCEMENT)
    rendered = render(template, locale, context)
    assert "/unsubscribe/" not in rendered.text and "/unsubscribe/" not in rendered.html
