"""Trimming keeps what the sender just wrote and drops history, signatures and phone footers."""

import pytest

from chalicelib.adapters.mail.trim import trim


def test_given_a_bottom_quote_after_an_english_attribution_then_both_go():
    text = (
        "Thanks, that works.\n\n"
        "On Mon, 4 Nov 2024 at 10:12, Jan de Vries <jan@example.nl> wrote:\n\n"
        "> Could you try again?\n>\n> Jan\n"
    )

    assert trim(text) == "Thanks, that works."


@pytest.mark.parametrize(
    "attribution",
    [
        "On Tue, 5 Nov 2024 at 14:02, Acme Support <support+r2Zp8Lx4@acme.example.com>\nwrote:",
        "On Tue, 5 Nov 2024 at 14:02, Acme Support <\nsupport+r2Zp8Lx4@acme.example.com> wrote:",
        "Op wo 6 nov. 2024 10:02 schreef Acme Support <\nsupport+w8Xz3Cq6@acme.example.com>:",
    ],
)
def test_given_an_attribution_wrapped_over_two_lines_then_both_lines_go(attribution):
    text = f"Prima.\n\n{attribution}\n\n> Hello\n>\n> Team Acme\n"

    assert trim(text) == "Prima."


@pytest.mark.parametrize(
    "attribution",
    [
        "Op ma 4 nov. 2024 om 10:12 schreef Jan de Vries <jan@example.nl>:",
        "Op 04-11-2024 om 10:12 schreef Jan de Vries:",
        "Op 4 nov 2024, om 10:12 heeft Jan de Vries <jan@example.nl> het volgende geschreven:",
        "Am 04.11.2024 um 10:12 schrieb Jan de Vries <jan@example.de>:",
        "Le lun. 4 nov. 2024 à 10:12, Jan de Vries <jan@example.fr> a écrit :",
        "Le 04/11/2024 à 10:12, Jan de Vries a\u00a0écrit\u00a0:",
    ],
)
def test_given_a_dutch_german_or_french_attribution_then_it_goes_with_its_quote(attribution):
    text = f"Dank je, het werkt weer.\n\n{attribution}\n> Probeer het opnieuw.\n> Jan\n"

    assert trim(text) == "Dank je, het werkt weer."


def test_given_an_apple_style_attribution_inside_the_quote_then_the_quote_goes():
    text = (
        "Het werkt.\n\n> Op 5 nov 2024, om 16:20 heeft Acme het volgende geschreven:\n>\n> Test\n"
    )

    assert trim(text) == "Het werkt."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-----Oorspronkelijk bericht-----",
        "-----Ursprüngliche Nachricht-----",
        "-------- Original message --------",
    ],
)
def test_given_an_original_message_separator_then_everything_below_goes(separator):
    text = f"See the attached invoice.\n\nRegards,\nMark\n\n{separator}\nFrom: Acme\nOld text\n"

    assert trim(text) == "See the attached invoice.\n\nRegards,\nMark"


@pytest.mark.parametrize(
    "block",
    [
        "From: Acme Support <support@acme.example.com>\nSent: Monday, November 4, 2024 09:12\n"
        "To: Jan <jan@example.nl>\nSubject: [#1042] Order",
        "Van: Acme Support <support@acme.example.com>\nVerzonden: maandag 4 november 2024 09:12\n"
        "Aan: Jan <jan@example.nl>\nOnderwerp: [#1042] Bestelling",
        "Van: Acme Support <support@acme.example.com>\nDatum: maandag 4 november 2024 09:12\n"
        "Aan: Jan <jan@example.nl>\nOnderwerp: [#1042] Bestelling",
        "From: Acme Support\nDate: Monday, 4 November 2024 at 09:12\nTo: Jan\nSubject: Order",
        "Von: Acme Support <support@acme.example.com>\nGesendet: Montag, 4. November 2024 09:12\n"
        "An: Jan <jan@example.de>\nBetreff: [#1042] Bestellung",
        "De : Acme Support <support@acme.example.com>\nEnvoyé : lundi 4 novembre 2024 09:12\n"
        "À : Jan <jan@example.fr>\nObjet : [#1042] Commande",
        "*From:* Acme Support <support@acme.example.com>\n*Sent:* Monday, 4 November 2024\n"
        "*To:* Jan\n*Subject:* Order",
    ],
)
def test_given_a_header_block_of_the_quoted_mail_then_it_and_below_go(block):
    text = f"Het pakket is er nog niet.\n\nGroet,\nJan\n\n{block}\n\nBeste Jan,\nOud bericht.\n"

    assert trim(text) == "Het pakket is er nog niet.\n\nGroet,\nJan"


def test_given_an_underscore_separator_above_a_header_block_then_the_separator_goes_too():
    text = (
        "Prima, dinsdag is goed.\n\n________________________________\n"
        "Van: Acme Support <support@acme.example.com>\nVerzonden: dinsdag 5 november 2024 11:03\n"
        "Aan: Jan\nOnderwerp: Afspraak\n\nOud.\n"
    )

    assert trim(text) == "Prima, dinsdag is goed."


def test_given_a_long_to_line_wrapped_inside_the_header_block_then_it_is_still_a_block():
    text = (
        "Akkoord.\n\nFrom: Acme Support\nSent: Monday, 4 November 2024 09:12\n"
        "To: Jan <jan@example.nl>; Piet <piet@example.nl>; Klaas <klaas@example.nl>;\n"
        "    Marie <marie@example.nl>\nSubject: Offerte\n\nOud.\n"
    )

    assert trim(text) == "Akkoord."


def test_given_a_from_in_running_text_then_nothing_is_cut():
    text = (
        "The parcel came From: the wrong depot.\n"
        "From: the warehouse it went to the depot, then back.\n"
        "Subject: to your approval we will send it again.\n\nJan"
    )

    assert trim(text) == text


def test_given_two_header_lines_only_then_nothing_is_cut():
    text = "Please change these:\nTo: finance@example.nl\nSubject: Invoice 42\n\nThanks"

    assert trim(text) == text


def test_given_an_rfc3676_signature_then_it_goes():
    text = "Kunnen jullie bellen?\n\nGroet,\nRuud\n\n-- \nRuud van Dijk\nT 020 555 0147\n"

    assert trim(text) == "Kunnen jullie bellen?\n\nGroet,\nRuud"


def test_given_a_signature_dash_line_without_its_space_then_a_short_block_below_goes():
    text = "Kunnen jullie bellen?\n\nRuud\n--\nRuud van Dijk\nT 020 555 0147\n"

    assert trim(text) == "Kunnen jullie bellen?\n\nRuud"


def test_given_a_bare_dash_line_inside_long_content_then_nothing_is_cut():
    body = "\n".join(f"Stap {n}: doe iets." for n in range(1, 12))
    text = f"Intro\n--\n{body}"

    assert trim(text) == text


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Sent from Outlook for Android",
        "Get Outlook for iOS",
        "Get Outlook for iOS<https://aka.example.com/o0ukef>",
        "Verzonden vanaf mijn iPhone",
        "Verstuurd vanaf mijn Android",
        "Verstuurd vanaf mijn Samsung Galaxy-smartphone",
        "Von meinem iPhone gesendet",
        "Envoyé de mon iPhone",
    ],
)
def test_given_a_mobile_footer_then_it_and_below_go(footer):
    text = f"Na 13:00 ben ik thuis.\n\n{footer}\n\n> On 6 Nov 2024, Acme wrote:\n> Hoi\n"

    assert trim(text) == "Na 13:00 ben ik thuis."


def test_given_a_sentence_that_starts_like_a_footer_then_it_stays():
    text = "Verzonden met PostNL op 4 november, maar nooit aangekomen.\n\nGroet, Jan"

    assert trim(text) == text


def test_given_courtesy_closings_then_they_stay():
    text = "Dank voor de snelle hulp.\n\nMet vriendelijke groet,\n\nJan de Vries\nAcme BV"

    assert trim(text) == text


def test_given_an_inline_reply_then_the_answers_and_their_questions_stay():
    text = (
        "Op 13-11-2024 om 11:02 schreef Acme Support:\n"
        "> Welke versie gebruikt u?\n\nVersie 4.2.1.\n\n"
        "> En welk besturingssysteem?\n\nWindows 11.\n\n"
        "> Nog iets?\n> Groet, Acme\n"
    )

    trimmed = trim(text)

    assert "Versie 4.2.1." in trimmed and "Windows 11." in trimmed
    assert "> Welke versie gebruikt u?" in trimmed
    assert "Nog iets?" not in trimmed  # trailing quote with no answer below it


def test_given_a_quote_at_the_top_and_an_answer_below_then_both_stay():
    text = "> Is de storing voorbij?\n\nJa, sinds 10:00 werkt alles weer."

    assert trim(text) == text


def test_given_a_line_ending_in_wrote_without_a_quote_then_it_stays():
    text = "This is what my colleague wrote:\nthe invoice is wrong."

    assert trim(text) == text


def test_given_a_forwarded_mail_below_a_forward_marker_then_it_is_kept():
    text = (
        "Kunnen jullie hiernaar kijken?\n\n---------- Forwarded message ---------\n"
        "From: Karel <karel@example.org>\nDate: Fri, 8 Nov 2024\nSubject: Klacht\n"
        "To: Iris <iris@example.nl>\n\nDe levering was incompleet.\n"
    )

    assert "De levering was incompleet." in trim(text)


def test_given_only_quoted_text_then_the_original_stripped_text_is_returned():
    text = "  \n> Alleen een citaat\n> zonder antwoord\n"

    assert trim(text) == text.strip()


def test_given_only_a_footer_then_the_original_stripped_text_is_returned():
    assert trim("\nSent from my iPhone\n") == "Sent from my iPhone"


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_given_empty_text_then_empty(text):
    assert trim(text) == ""


def test_given_windows_line_endings_then_they_are_handled_like_unix_ones():
    text = "Thanks.\r\n\r\nOn Mon, Jan wrote:\r\n> old\r\n"

    assert trim(text) == "Thanks."
