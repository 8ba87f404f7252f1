"""Every message of the corpus (tests/fixtures/mail) read end to end: parse, trim, classify.

The table is the expected reading of each file. A file without an entry fails, so the
corpus cannot grow without someone deciding what Balie should make of the new message.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.adapters.mail.classify import Kind, classify
from chalicelib.adapters.mail.parse import ParsedMail, parse

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
OWN_ADDRESSES = {"support@demo.example.com", "support@acme.example.com"}
LOOP_MARKER = "balie"


@dataclass(frozen=True)
class Expected:
    kind: Kind
    reason: str
    subject: str
    from_address: str
    keeps: str  # must be in the trimmed text
    drops: tuple[str, ...] = ()  # quoted history, signatures, footers: not in the trimmed text
    attachments: int = 0
    failed: tuple[str, ...] = ()


HUMAN = (Kind.HUMAN, "human")

EXPECTED: dict[str, Expected] = {
    "outlook-reply-nl.eml": Expected(
        *HUMAN,
        subject="RE: [#1042] Bestelling komt niet aan",
        from_address="s.bakker@bakkerij-bakker.example.nl",
        keeps="Het gaat om ordernummer 55120 – we hebben het echt vóór vrijdag nodig.",
        drops=("Verzonden:", "Bedankt voor je bericht", "Team Acme"),
    ),
    "outlook-original-message.eml": Expected(
        *HUMAN,
        subject="RE: [#1043] Duplicate charge",
        from_address="mark.ellis@ellis-logistics.example.com",
        keeps="The invoice number is INV-2024-0193.",
        drops=("Original Message", "Sorry to hear you were charged twice"),
    ),
    "outlook-reply-de.eml": Expected(
        *HUMAN,
        subject="AW: [#1062] Lizenzaktivierung",
        from_address="a.schneider@example.com",
        keeps="danke für die schnelle Hilfe",
        drops=("Gesendet:", "Lizenzschlüssel"),
    ),
    "outlook-ios-underscore.eml": Expected(
        *HUMAN,
        subject="Re: [#1060] Afspraak monteur",
        from_address="yara.bos@example.com",
        keeps="Prima, dan zie ik de monteur dinsdag.",
        drops=("Get Outlook for iOS", "____", "Past dinsdag 19 november"),
    ),
    "outlook-ndr-undeliverable.eml": Expected(
        Kind.BOUNCE,
        "dsn",
        subject="Undeliverable: [#1044] Uw aanvraag is ontvangen",
        from_address="postmaster@hollandtrading.example.nl",
        keeps="Delivery has failed to these recipients or groups:",
        drops=("We hebben uw aanvraag ontvangen",),  # the returned original is an attachment
        attachments=2,
        failed=("p.dekker@hollandtrading.example.nl",),
    ),
    "outlook-oof-nl.eml": Expected(
        Kind.AUTO_REPLY,
        "auto-submitted:auto-replied",
        subject="Automatisch antwoord: [#1045] Uw aanvraag is ontvangen",
        from_address="w.visser@bouwbedrijf-visser.example.nl",
        keeps="Ik ben afwezig tot en met vrijdag 15 november",
    ),
    "outlook-oof-en.eml": Expected(
        Kind.AUTO_REPLY,
        "x-auto-response-suppress",
        subject="Automatic reply: Order 7781 - missing bolts",
        from_address="grace.okafor@northwind-parts.example.com",
        keeps="I am out of the office until Monday 11 November",
    ),
    "outlook-winmail-dat.eml": Expected(
        *HUMAN,
        subject="Tekening aanbouw",
        from_address="johan@kuipers-bouw.example.nl",
        keeps="Kunnen jullie de materiaallijst\ndaarop aanpassen?",
        attachments=1,
    ),
    "gmail-new-emoji.eml": Expected(
        *HUMAN,
        subject="Inlogprobleem 🔒 portaal",
        from_address="lotte.jansen@example.com",
        keeps="niet meer inloggen op het portaal 😕",
    ),
    "gmail-reply.eml": Expected(
        *HUMAN,
        subject="Re: [#1046] Invoice is wrong",
        from_address="ahmed.elamrani@example.com",
        keeps="can I get the corrected invoice as a PDF as well?",
        drops=("wrote:", "On Tue, 5 Nov 2024", "We corrected the VAT rate"),
    ),
    "gmail-vacation.eml": Expected(
        Kind.AUTO_REPLY,
        "auto-submitted:auto-replied",
        subject="Op vakantie tot 18 november",
        from_address="pieter.degraaf@example.com",
        keeps="Ik ben met vakantie tot en met 18 november",
    ),
    "google-mailer-daemon.eml": Expected(
        Kind.BOUNCE,
        "dsn",
        subject="Delivery Status Notification (Failure)",
        from_address="mailer-daemon@mx.example.com",
        keeps="Your message wasn't delivered to kees.visser@example.org",
        attachments=2,
        failed=("kees.visser@example.org",),
    ),
    "android-gmail-nl.eml": Expected(
        *HUMAN,
        subject="Re: [#1051] Afspraak installatie",
        from_address="fatima.yilmaz@example.com",
        keeps="Het adres is Kerkplein 4 in Gouda.",
        drops=("Verstuurd vanaf mijn Android", "schreef", "Zullen we donderdag"),
    ),
    "apple-mail-reply-nl.eml": Expected(
        *HUMAN,
        subject="Re: [#1049] Exporteren naar Excel",
        from_address="eva.mulder@example.nl",
        # Rejoined from format=flowed soft breaks.
        keeps="alleen het exporteren naar Excel geeft nog steeds een foutmelding. Ik heb het op",
        drops=("het volgende geschreven", "Versie 3.8 staat klaar"),
    ),
    "apple-mail-inline-image.eml": Expected(
        *HUMAN,
        subject="Foutmelding bij opslaan",
        from_address="tom.willems@example.nl",
        keeps="Hierbij een schermafbeelding van de foutmelding",
        attachments=1,
    ),
    "iphone-sent-from.eml": Expected(
        *HUMAN,
        subject="Re: [#1050] Afspraak monteur",
        from_address="henk.koster@example.com",
        keeps="Na 13:00 ben ik thuis.",
        drops=("Sent from my iPhone", "Wanneer komt het u uit"),
    ),
    "thunderbird-signature-flowed.eml": Expected(
        *HUMAN,
        subject="Werkbonnen worden niet meer verstuurd",
        from_address="ruud@vandijk-installatie.example.nl",
        keeps="Handmatig versturen via het menu Bestand werkt nog wel, maar dat kost onze",
        drops=("Systeembeheer", "020 555 0147"),
    ),
    "thunderbird-pdf-attachment.eml": Expected(
        *HUMAN,
        subject="Getekende offerte",
        from_address="j.hofman@example.org",
        keeps="In de bijlage vindt u de getekende offerte voor de installatie.",
        attachments=1,
    ),
    "thunderbird-inline-reply.eml": Expected(
        *HUMAN,
        subject="Re: [#1061] Synchronisatie agenda",
        from_address="daan.verbeek@example.nl",
        keeps="Versie 4.2.1, net bijgewerkt.",
        drops=("Verbeek Fysiotherapie",),
    ),
    "balie-reply-threaded.eml": Expected(
        *HUMAN,
        subject="Re: [#1057] VPN-verbinding valt steeds weg",
        from_address="linda.dewit@example.org",
        keeps="Voor mij mag het ticket dicht.",
        drops=("schreef Acme Support", "opnieuw installeren"),
    ),
    "html-only-newsletter.eml": Expected(
        Kind.BULK,
        "precedence:bulk",
        subject="Najaarsactie: 25% korting op alle bloembollen",
        from_address="nieuws@tuincentrum-delinde.example.nl",
        keeps="- Tulpen ‘Queen of Night’ – 10 stuks voor € 4,95",
        drops=("font-family", "dataLayer"),
    ),
    "html-only-webmail.eml": Expected(
        *HUMAN,
        subject="Verlenging contract",
        from_address="bram@smit-advies.example.nl",
        keeps="2. Facturatie per kwartaal in plaats van per maand",
        drops=("schreef Acme Support", "Uw contract verloopt binnenkort"),
    ),
    "iso-8859-1.eml": Expected(
        *HUMAN,
        subject="Re: Téléchargement de la facture",
        from_address="elodie.martin@example.org",
        keeps="Le bouton « Télécharger » ne réagit pas.",
        drops=("a écrit", "espace client"),
    ),
    "windows-1252-smart-quotes.eml": Expected(
        *HUMAN,
        subject="Question about the Pro plan",
        from_address="dan@obrien-consulting.example.com",
        keeps="We’re looking at the “Pro” plan – it says €49 per month.",
    ),
    "iso-2022-jp.eml": Expected(
        *HUMAN,
        subject="請求書の送付先について",
        from_address="h.tanaka@example.com",
        keeps="請求書の送付先を変更したいです。",
    ),
    "koi8-r.eml": Expected(
        *HUMAN,
        subject="Не могу войти",
        from_address="olga.ivanova@example.org",
        keeps="Не могу войти в личный кабинет после смены пароля.",
    ),
    "bogus-charset-utf8.eml": Expected(
        *HUMAN,
        subject="Vraag over één factuur van oktober",
        from_address="zoe.kramer@example.nl",
        keeps="Op één factuur van oktober staat een bedrag van € 120,– dat ik niet herken.",
    ),
    "rfc2047-subjects.eml": Expected(
        *HUMAN,
        subject="Re: Prüfung der Rechnung für März 📄",
        from_address="soeren.kuehn@example.com",
        keeps="enthält zweimal dieselbe Position (Wartung, 89 €)",
        drops=("schrieb", "anbei die Rechnung"),
    ),
    "postfix-bounce.eml": Expected(
        Kind.BOUNCE,
        "dsn",
        subject="Undelivered Mail Returned to Sender",
        from_address="mailer-daemon@mail.acme.example.com",
        keeps="Recipient address rejected: User unknown",
        attachments=2,
        failed=("j.devos@example.org",),
    ),
    "delayed-dsn.eml": Expected(
        Kind.BOUNCE,
        "dsn",
        subject="Delayed Mail (still being retried)",
        from_address="mailer-daemon@mail.acme.example.com",
        keeps="THIS IS A WARNING ONLY",
        attachments=2,
    ),
    "exim-bounce.eml": Expected(
        Kind.BOUNCE,
        "x-failed-recipients",
        subject="Mail delivery failed: returning message to sender",
        from_address="mailer-daemon@mx1.example.org",
        keeps="This is a permanent error. The following address(es) failed:",
        failed=("h.bos@example.nl",),
    ),
    "qmail-bounce.eml": Expected(
        Kind.BOUNCE,
        "mailer-daemon",
        subject="failure notice",
        from_address="mailer-daemon@mail.example.org",
        keeps="Sorry, no mailbox here by that name. (#5.1.1)",
        failed=("a.peters@example.org",),
    ),
    "read-receipt.eml": Expected(
        Kind.AUTO_REPLY,
        "mdn",
        subject="Gelezen: [#1047] Uw aanvraag is ontvangen",
        from_address="m.hoekstra@example.nl",
        keeps="is gelezen op zaterdag 9 november 2024 10:45.",
        attachments=1,
    ),
    "mailing-list-mailman.eml": Expected(
        Kind.BULK,
        "precedence:list",
        subject="[Gebruikers] Ervaringen met de nieuwe planningsmodule?",
        from_address="frank@example.org",
        keeps="Wij lopen tegen trage laadtijden aan zodra",
    ),
    "oof-german.eml": Expected(
        Kind.AUTO_REPLY,
        "subject",
        subject="Abwesenheitsnotiz: [#1048] Ihre Anfrage ist eingegangen",
        from_address="k.becker@example.com",
        keeps="Ich bin bis einschließlich 22.11.2024 nicht im Büro.",
    ),
    "oof-french.eml": Expected(
        Kind.AUTO_REPLY,
        "auto-submitted:auto-replied",
        subject="Réponse automatique : Demande de devis",
        from_address="camille.laurent@example.org",
        keeps="Je suis absente du bureau jusqu'au 15 novembre inclus.",
    ),
    "forwarded-rfc822.eml": Expected(
        *HUMAN,
        subject="Fwd: Klacht over levering",
        from_address="iris.vos@example.nl",
        keeps="Kunnen jullie hiernaar kijken?",
        drops=("incompleet",),  # the forwarded mail is an attachment, not this sender's words
        attachments=1,
    ),
    "no-message-id-no-date.eml": Expected(
        *HUMAN,
        subject="Printer op de eerste verdieping",
        from_address="gerrit.post@example.nl",
        keeps="geeft foutcode E-204",
    ),
    "truncated-multipart.eml": Expected(
        *HUMAN,
        subject="Gegevens voor de aanvraag",
        from_address="noor.hendriks@example.com",
        keeps="Hierbij de gevraagde gegevens.",
        attachments=1,
    ),
    "own-loop-x-loop.eml": Expected(
        Kind.LOOP,
        "x-loop",
        subject="[#1058] Uw aanvraag is ontvangen",
        from_address="helpdesk@acme.example.com",
        keeps="We hebben uw aanvraag ontvangen onder nummer 1058.",
    ),
    "own-address-plus.eml": Expected(
        Kind.LOOP,
        "own-address",
        subject="[#1059] Nieuwe reactie op uw aanvraag",
        from_address="support+t4hx9qm2@acme.example.com",
        keeps="Er is een nieuwe reactie op uw aanvraag 1059.",
    ),
}

FILES = sorted(path.name for path in CORPUS.glob("*.eml"))


def read(name: str) -> ParsedMail:
    return parse((CORPUS / name).read_bytes())


def test_the_corpus_has_at_least_thirty_messages():
    assert len(FILES) >= 30


@pytest.mark.parametrize("name", FILES)
def test_given_a_corpus_file_then_the_table_says_what_to_expect(name):
    assert name in EXPECTED, f"add {name} to EXPECTED in {Path(__file__).name}"


def test_given_the_table_then_every_entry_has_a_file():
    assert set(EXPECTED) <= set(FILES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_given_a_corpus_message_when_read_then_it_matches_the_table(name):
    expected = EXPECTED[name]
    mail = read(name)
    verdict = classify(mail, own_addresses=OWN_ADDRESSES, loop_marker=LOOP_MARKER)

    assert not mail.parse_failed
    assert (verdict.kind, verdict.reason) == (expected.kind, expected.reason)
    assert mail.subject == expected.subject
    assert mail.from_address == expected.from_address
    assert expected.keeps in mail.trimmed
    for dropped in expected.drops:
        assert dropped not in mail.trimmed, dropped
    assert len(mail.attachments) == expected.attachments
    assert verdict.failed_recipients == expected.failed
    assert verdict.may_answer is (expected.kind is Kind.HUMAN)


@pytest.mark.parametrize("name", FILES)
def test_given_a_corpus_message_then_the_reading_is_clean_and_repeatable(name):
    mail = read(name)

    assert mail == read(name)
    assert "\r" not in mail.text and mail.text == mail.text.strip()
    assert mail.trimmed and mail.trimmed in mail.text  # trimming cuts, it never rewrites
    assert all(a.filename and "/" not in a.filename for a in mail.attachments)
    if mail.html is not None:
        assert "<script" not in mail.html.lower() and "onerror" not in mail.html.lower()


def test_given_a_delay_warning_then_only_temporary_failures():
    verdict = classify(
        read("delayed-dsn.eml"), own_addresses=OWN_ADDRESSES, loop_marker=LOOP_MARKER
    )

    assert verdict.temporary is True
    assert verdict.failed_recipients == ()


def test_given_a_permanent_bounce_then_it_is_not_temporary():
    verdict = classify(
        read("postfix-bounce.eml"), own_addresses=OWN_ADDRESSES, loop_marker=LOOP_MARKER
    )

    assert verdict.temporary is False


def test_given_a_reply_to_balie_then_its_thread_ids_are_read_in_order():
    mail = read("balie-reply-threaded.eml")

    assert mail.in_reply_to == ("<01JD3RB2C4D6E8F0G2H4J6K8M0@balie.demo.example.com>",)
    assert mail.references == (
        "<01JD3QZ8X4M2V7K9N6P5R1T0AB@balie.demo.example.com>",
        "<01JD3RB2C4D6E8F0G2H4J6K8M0@balie.demo.example.com>",
    )
    assert mail.recipients == ("support+t4hx9qm2@demo.example.com",)


def test_given_a_mail_without_message_id_and_date_then_both_are_none():
    mail = read("no-message-id-no-date.eml")

    assert (mail.message_id, mail.date) == (None, None)


def test_given_a_pdf_with_an_rfc2231_name_then_the_name_is_decoded():
    (attachment,) = read("thunderbird-pdf-attachment.eml").attachments

    assert attachment.filename == "offerte-ü.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.content.startswith(b"%PDF-1.4")
    assert attachment.inline is False


def test_given_an_apple_inline_image_then_it_is_an_embedded_attachment_the_html_refers_to():
    mail = read("apple-mail-inline-image.eml")
    (image,) = mail.attachments

    assert image.inline is True
    assert image.content_id == "3E0C5B1A-7D2F-4C9E-8A6B-1F0E2D3C4B5A"
    assert image.content.startswith(b"\x89PNG")
    assert mail.html is not None and f'src="cid:{image.content_id}"' in mail.html


def test_given_a_forward_as_attachment_then_the_forwarded_mail_is_an_eml_attachment():
    mail = read("forwarded-rfc822.eml")
    (forwarded,) = mail.attachments

    assert forwarded.filename == "Klacht over levering.eml"
    assert forwarded.content_type == "message/rfc822"
    assert parse(forwarded.content).from_address == "karel.dijkstra@example.org"
    assert "incompleet" not in mail.text


def test_given_winmail_dat_then_it_is_kept_as_an_ordinary_attachment():
    (attachment,) = read("outlook-winmail-dat.eml").attachments

    assert (attachment.filename, attachment.content_type) == ("winmail.dat", "application/ms-tnef")
    assert attachment.content.startswith(b"\x78\x9f\x3e\x22")


def test_given_a_truncated_multipart_then_the_text_survives_and_the_defect_is_named():
    mail = read("truncated-multipart.eml")

    assert "CloseBoundaryNotFoundDefect" in mail.defects
    assert mail.attachments[0].filename == "kvk-uittreksel.pdf"


def test_given_a_newsletter_then_its_tracking_pixel_is_not_in_the_html():
    html = read("html-only-newsletter.eml").html

    assert html is not None and "Najaarsactie" in html
    assert "open.gif" not in html and "<title" not in html
