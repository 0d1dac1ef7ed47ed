"""Reading real mail: charsets, encodings, HTML, quotes, automatic mail, broken and hostile headers."""

from pathlib import Path

import pytest

from guichet.channels.mail.parsing import Unparseable, parse, safe_header_value, sanitise, trim

CORPUS = Path(__file__).parent / "corpus"


def mail(name):
    return parse((CORPUS / name).read_bytes())


def test_plain_utf8_keeps_accents_and_drops_the_signature():
    m = mail("new_plain_carla.eml")
    assert (m.sender, m.sender_name) == ("carla@example.com", "Carla Costa")
    assert m.subject == "SIP trunk down at Site B"
    assert "tombé" in m.visible_text
    assert "-- " in m.text and "-- " not in m.visible_text


def test_html_only_mail_is_read_as_text_and_its_html_sanitised():
    m = mail("new_html_only_carla.eml")
    assert m.visible_text.startswith("Printer on floor 3 is offline")
    for bad in ("<script", "alert(1)", "onclick", "<style", "tracker.example", "<img"):
        assert bad not in m.html and bad not in m.text


@pytest.mark.parametrize(
    "name, words",
    [
        ("multipart_alternative_colin.eml", ["erronée"]),  # quoted-printable UTF-8, encoded-word subject
        ("latin1_undeclared.eml", ["Problème réseau", "très lent"]),  # 8-bit Latin-1, no charset said
        ("windows1252_declared.eml", ["“premium”", "49€"]),  # base64 windows-1252
    ],
)
def test_charsets_and_transfer_encodings(name, words):
    m = mail(name)
    for w in words:
        assert w in m.text
    assert "\ufffd" not in m.text


def test_the_encoded_subject_is_decoded():
    assert mail("multipart_alternative_colin.eml").subject == "Facture erronée F-2026-1187"


def test_replies_find_their_thread_and_lose_their_quotes():
    m = mail("reply_in_reply_to.eml")
    assert m.thread_ids[0] == "ticket-GT-2026-000001.n1@guichet.example"
    assert m.visible_text.startswith("It is down again since 14:00.")
    assert "wrote:" not in m.visible_text and ">" not in m.visible_text
    fr = mail("reply_subject_only.eml")
    assert fr.ticket_references == ["GT-2026-000001"] and fr.thread_ids == ()
    assert fr.visible_text == "Toujours en panne, personne ne peut appeler."


@pytest.mark.parametrize(
    "name", ["auto_reply_auto_submitted.eml", "auto_reply_precedence.eml", "bounce_dsn.eml"]
)
def test_auto_replies_and_bounces_are_recognised(name):
    assert mail(name).automatic


@pytest.mark.parametrize("name", ["new_plain_carla.eml", "reply_in_reply_to.eml", "with_attachments.eml"])
def test_a_persons_mail_is_not_automatic(name):
    assert mail(name).automatic == ""


def test_the_sender_is_the_from_address_never_reply_to():
    assert mail("reply_to_differs.eml").sender == "carla@example.com"


def test_a_display_name_hiding_a_line_break_cannot_supply_the_address():
    m = mail("header_injection_name.eml")
    assert m.sender == "carla@example.com"
    assert "\r" not in m.sender_name + m.subject and "\n" not in m.sender_name + m.subject


def test_attachments_are_kept_with_their_names_and_types():
    m = mail("with_attachments.eml")
    assert [(a.filename, a.content_type) for a in m.attachments] == [
        ("invoice.pdf", "application/pdf"),
        ("screen.png", "image/png"),
    ]
    assert m.attachments[0].data.startswith(b"%PDF-")


def test_an_attachment_over_the_limit_is_named_in_the_text_not_kept():
    pdf, png = (len(a.data) for a in mail("with_attachments.eml").attachments)
    assert png < pdf
    m = parse((CORPUS / "with_attachments.eml").read_bytes(), attachment_limit=png)
    assert [a.filename for a in m.attachments] == ["screen.png"]
    assert "invoice.pdf" in m.text and "over the size limit" in m.text


def test_a_mail_without_message_id_gets_one_from_its_content():
    a = mail("no_message_id.eml")
    assert a.message_id.startswith("sha256:") and a.message_id == mail("no_message_id.eml").message_id


def test_broken_headers_do_not_lose_the_mail():
    m = mail("broken_headers.eml")
    assert m.subject == "Téléphone à l'accueil en panne"
    assert m.date is None and m.sender == "carla@example.com"


@pytest.mark.parametrize("name", ["garbage.eml", "missing_from.eml"])
def test_what_is_not_a_mail_is_refused_with_a_reason(name):
    with pytest.raises(Unparseable, match="no sender"):
        mail(name)


def test_empty_bytes_are_refused():
    with pytest.raises(Unparseable):
        parse(b"  \r\n")


def test_trim_keeps_the_text_when_everything_looks_quoted():
    assert trim("> only a quote") == "> only a quote"


def test_values_from_customers_cannot_start_a_header():
    assert safe_header_value("Urgent\r\nBcc: x@evil.example") == "Urgent Bcc: x@evil.example"


def test_sanitise_keeps_links_and_drops_scripts():
    html = sanitise('<p onclick="x()">Hi <a href="https://ok.example">ok</a><script>bad()</script></p>')
    assert 'href="https://ok.example"' in html and "script" not in html and "onclick" not in html


# Issue 13: who sent it, and what the receiving server says of it.


def with_headers(name, *headers, **replace):
    data = (CORPUS / name).read_bytes()
    for old, new in replace.items():
        data = data.replace(old.encode(), new.encode())
    return "".join(f"{h}\r\n" for h in headers).encode() + data


@pytest.mark.parametrize(
    "from_header",
    [
        "Carla <carla@example.com>, Eve <eve@evil.example>",
        "carla@example.com <eve@evil.example>",
        "<carla@example.com> <eve@evil.example>",
        "carla@example.com@evil.example",
        "alice@example.org)<carla@example.com>",
        "Carla <carla@example.com>;eve@evil.example",
        "group: carla@example.com, eve@evil.example;",
    ],
)
def test_a_from_naming_several_mailboxes_or_ambiguous_is_flagged(from_header):
    m = parse(with_headers("new_plain_carla.eml", **{"Carla Costa <carla@example.com>": from_header}))
    assert m.sender_problem


def test_two_from_headers_are_flagged():
    m = parse(with_headers("new_plain_carla.eml", "From: eve@evil.example"))
    assert m.sender_problem == "several From headers"


@pytest.mark.parametrize("name", ["new_plain_carla.eml", "header_injection_name.eml", "reply_to_differs.eml"])
def test_an_ordinary_from_is_not_flagged(name):
    assert mail(name).sender_problem == ""


OURS = "mx.guichet.example"


@pytest.mark.parametrize(
    "headers, vouched, dmarc_failed",
    [
        (
            [
                f"Authentication-Results: {OURS}; dkim=pass header.d=example.com; "
                "dmarc=pass header.from=example.com"
            ],
            True,
            False,
        ),
        (
            [f"Authentication-Results: {OURS} 1; dkim=pass (good signature) header.i=@example.com"],
            True,
            False,
        ),
        ([f"Authentication-Results: {OURS}; dmarc=fail (p=reject) header.from=example.com"], False, True),
        ([f"Authentication-Results: {OURS}; dkim=pass header.d=evil.example"], False, False),
        (["Authentication-Results: MX.Guichet.Example; dmarc=pass header.from=example.com"], True, False),
        # Another server's header, whatever it says, does not count; nor one of ours below it.
        (["Authentication-Results: mx.evil.example; dmarc=pass header.from=example.com"], False, False),
        (["Authentication-Results: mx.evil.example; dmarc=fail header.from=example.com"], False, False),
        (
            [
                "Authentication-Results: mx.evil.example; spf=pass smtp.mailfrom=evil.example",
                f"Authentication-Results: {OURS}; dmarc=pass header.from=example.com",
            ],
            False,
            False,
        ),
        # Ours first: a copy added by the sender below it does not override its verdict...
        (
            [
                f"Authentication-Results: {OURS}; dmarc=fail header.from=example.com",
                f"Authentication-Results: {OURS}; dmarc=pass header.from=example.com",
            ],
            False,
            True,
        ),
        # ... nor add a DKIM pass ours did not find.
        (
            [
                f"Authentication-Results: {OURS}; dkim=none; dmarc=none header.from=example.com",
                f"Authentication-Results: {OURS}; dkim=pass header.d=example.com",
            ],
            False,
            False,
        ),
        # Two headers of ours, one per method (OpenDMARC above OpenDKIM): both count.
        (
            [
                f"Authentication-Results: {OURS}; dmarc=none header.from=example.com",
                f"Authentication-Results: {OURS}; dkim=pass header.d=example.com",
            ],
            True,
            False,
        ),
    ],
)
def test_only_our_receiving_servers_authentication_results_count(headers, vouched, dmarc_failed):
    m = parse(with_headers("new_plain_carla.eml", *headers), authserv_id=OURS)
    assert (m.auth.vouches_for("example.com"), m.auth.dmarc_failed("example.com")) == (vouched, dmarc_failed)


def test_without_a_configured_authserv_id_no_authentication_results_count():
    header = f"Authentication-Results: {OURS}; dmarc=pass header.from=example.com"
    m = parse(with_headers("new_plain_carla.eml", header))
    assert not m.auth.vouches_for("example.com")


def test_bidi_overrides_and_controls_are_neutralised_in_names_and_subjects():
    m = parse(
        with_headers(
            "with_attachments.eml",
            **{
                "Carla Costa <": "=?UTF-8?B?" + "Q2FybGEg4oCuYXRzb0M=" + "?= <",  # "Carla \u202eatsoC"
                'filename="invoice.pdf"': 'filename="invoice\u202efdp.exe"',
                "Subject: Invoice": "Subject: =?UTF-8?B?4oCuSW52b2ljZQ==?=",  # "\u202eInvoice"
            },
        )
    )
    assert m.sender_name == "Carla atsoC"
    assert [a.filename for a in m.attachments] == ["invoicefdp.exe", "screen.png"]
    assert m.subject.startswith("Invoice")


def test_a_body_not_in_its_declared_charset_is_kept_and_marked_damaged():
    m = parse(
        with_headers("new_plain_carla.eml", **{"charset=utf-8": "charset=utf-8"}).replace(
            "tombé".encode(), "tombé".encode("latin-1")
        )
    )
    assert "tombé" in m.text and m.damaged == (
        "body (not in its declared charset utf-8: read as windows-1252)",
    )
    assert "[Damaged in transit, kept as received: body" in m.text


def test_x_auto_response_suppress_alone_is_not_automatic():
    m = parse(with_headers("new_plain_carla.eml", "X-Auto-Response-Suppress: All"))
    assert m.automatic == ""
