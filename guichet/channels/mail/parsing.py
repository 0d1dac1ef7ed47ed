"""Inbound mail, from raw bytes to what a ticket needs — pure Python, no Django.

Real mail is messy: multipart or not, HTML only, ISO-8859-1 or windows-1252 without saying so, base64 or
quoted-printable, broken headers. ``parse`` reads it with the standard library's modern policy, falls back to
the lenient one for headers it cannot read, and only raises ``Unparseable`` when nothing usable is left (the
caller then keeps the raw bytes in a dead-letter store).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

import nh3

from guichet.text.safe import neutralised, storable

REFERENCE = re.compile(r"\bGT-(\d{4})-(\d{6})\b")
MAX_MESSAGE_ID = 255  # what every table keeping one holds (TicketMessage.external_id is the shortest)
_MSGID = re.compile(r"<([^<>\s]+)>")


class Unparseable(Exception):
    """Nothing usable could be read from the bytes (the reason says why)."""


@dataclass(frozen=True)
class AuthResults:
    """What the provider's own receiving server found (its Authentication-Results, RFC 8601): the DMARC
    result for the From domain and the domains whose DKIM signature passed. Empty when it said nothing."""

    dmarc: str = ""  # "pass", "fail", "none"... for ``dmarc_domain``
    dmarc_domain: str = ""
    dkim_pass: frozenset[str] = frozenset()

    def vouches_for(self, domain: str) -> bool:
        """The mail provably comes from ``domain``: DMARC passed for it, or a DKIM signature of it (or of
        a parent domain, DMARC's relaxed alignment) passed."""
        domain = domain.lower()
        if self.dmarc == "pass" and self.dmarc_domain == domain:
            return True
        return any(domain == d or domain.endswith("." + d) for d in self.dkim_pass if "." in d)

    def dmarc_failed(self, domain: str) -> bool:
        return self.dmarc == "fail" and self.dmarc_domain in ("", domain.lower())


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    sender: str  # the From address, lower-cased: never Reply-To
    sender_name: str
    subject: str
    text: str  # the whole body as text (from the HTML part when there is no plain one)
    html: str = ""  # the HTML part, sanitised; "" when there is none
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    date: datetime | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    automatic: str = ""  # why it is an auto-reply, a bounce or a list mail; "" for a person's mail
    sender_problem: str = ""  # why the From header names no one for sure (several mailboxes, ambiguous)
    auth: AuthResults = AuthResults()
    loop_markers: tuple[str, ...] = ()  # the X-Loop headers' values
    recipients: tuple[str, ...] = ()  # the addresses of To, Cc and Delivered-To, lower-cased
    damaged: tuple[str, ...] = ()  # the parts that could not be decoded as they said, and why

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail answers, nearest first."""
        return self.in_reply_to + tuple(reversed(self.references))

    @property
    def ticket_references(self) -> list[str]:
        return [f"GT-{y}-{n}" for y, n in REFERENCE.findall(self.subject)]

    @property
    def visible_text(self) -> str:
        return trim(self.text)


def message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _MSGID.findall(str(value))
    if not found and str(value).strip():
        found = [str(value).strip()]
    return tuple(dict.fromkeys(_fitting(i) for i in found))


def _fitting(message_id: str) -> str:
    """A Message-ID longer than the columns that keep one, as its hash: stored (and threaded) all the same."""
    if len(message_id) <= MAX_MESSAGE_ID:
        return message_id
    return "sha256:" + hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def automatic_reason(msg: Message) -> str:
    """Why this mail was sent by a machine, per RFC 3834 and the usual conventions; "" if by a person."""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(msg, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    # X-Auto-Response-Suppress is not among them: Outlook puts it on people's mail too (it asks others'
    # auto-responders to keep quiet; it says nothing of who wrote).
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated"):
        value = _header(msg, name)
        if value:
            return f"{name}: {value}"
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return "mailing list"
    if msg.get_content_type() == "multipart/report":
        return "delivery or read report"
    sender = _header(msg, "From").lower()
    if re.search(r"\b(mailer-daemon|postmaster)@", sender):
        return "bounce (mailer-daemon)"
    return_path = _header(msg, "Return-Path")
    if return_path == "<>":
        return "bounce (empty Return-Path)"
    return ""


def _header(msg: Message, name: str) -> str:
    """A header as one line of text. One the modern policy refuses to read (a display name hiding a line
    break, say) is decoded from its raw text instead; line breaks always end up as spaces."""
    try:
        value = msg.get(name)
    except Exception:
        value = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
    if value is None:
        return ""
    return " ".join(_decoded(str(value)).split())


def _decoded(text: str) -> str:
    """Encoded words (RFC 2047) the parser left as they were, decoded; the text as it is if they are
    malformed."""
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError):
        return text


def _decode(part: Message, damaged: list[str] | None = None) -> str:
    payload = _payload(part, "body", damaged)
    if not payload:
        return ""
    declared = part.get_content_charset() or ""
    for charset in (declared, "utf-8", "windows-1252"):
        if not charset:
            continue
        try:
            text = payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        if declared and charset != declared and damaged is not None:
            damaged.append(f"body (not in its declared charset {declared[:40]}: read as {charset})")
        return text
    if damaged is not None:
        damaged.append(f"body (not in its declared charset {declared[:40] or 'us-ascii'}: read as latin-1)")
    return payload.decode("latin-1")  # never fails: every byte is a character


_BASE64_DEFECTS = {"InvalidBase64PaddingDefect", "InvalidBase64CharactersDefect", "InvalidBase64LengthDefect"}


def _payload(part: Message, name: str, damaged: list[str] | None) -> bytes:
    """A leaf part's bytes, decoded from its transfer encoding; a part whose base64 is cut or mixed with
    other characters gives what could be decoded, and is named in ``damaged``."""
    payload = part.get_payload(decode=True)
    if payload is None:
        return b""
    if not isinstance(payload, bytes):
        payload = str(payload).encode("utf-8", "surrogateescape")
    found = {type(d).__name__ for d in part.defects} & _BASE64_DEFECTS
    if found and damaged is not None:
        damaged.append(f"{name} (damaged base64: truncated or with stray characters)")
    return payload


def _leaves(msg: Message) -> Iterator[Message]:
    """The parts of a mail that hold content, in order; a forwarded message (message/rfc822) is one part,
    not entered: its own parts belong to it."""
    if msg.get_content_type() == "message/rfc822" or not msg.is_multipart():
        yield msg
        return
    for sub in msg.get_payload():
        if isinstance(sub, Message):
            yield from _leaves(sub)


def _forwarded(part: Message) -> Attachment:
    """A forwarded message as an .eml file: its headers and every part, 7-bit clean (8-bit text turned
    into quoted-printable), so that it is kept as text whatever its charsets."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message):
        data = inner.as_bytes(policy=policy.default.clone(cte_type="7bit"))
        subject = _header(inner, "Subject")
    else:
        raw = part.get_payload(decode=True)  # bytes, or None for a multipart
        data, subject = (raw if isinstance(raw, bytes) else b""), ""
    name = neutralised(str(part.get_filename() or "") or subject or "forwarded message")[:150]
    if not name.lower().endswith(".eml"):
        name += ".eml"
    return Attachment(name, "message/rfc822", data)


def html_to_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h\d>", "\n", text)
    text = re.sub(r"(?s)<[^>]+>", "", text)
    text = html_lib.unescape(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


SAFE_TAGS = frozenset(
    """a b blockquote br code div em h1 h2 h3 h4 i li ol p pre span strong table tbody td th thead tr u
    ul""".split()  # noqa: SIM905 - a tag list reads better as text
)


def sanitise(html: str) -> str:
    """HTML from outside, safe to show: no scripts, styles, event handlers or remote tracking."""
    return nh3.clean(
        html,
        tags=set(SAFE_TAGS),
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )


_QUOTE_HEADER = re.compile(
    r"^(on .{4,200} wrote:|le .{4,200} a écrit\s?:|-----\s*original message\s*-----|"
    r"-----\s*message d'origine\s*-----|de\s?: .+|from: .+)$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(-- ?|envoyé de mon \w+.*|sent from my \w+.*|__+)$", re.IGNORECASE)


def trim(text: str) -> str:
    """The new part of a reply: quoted history ("> " lines, "On … wrote:" and what follows, forwarded
    originals) and the signature cut off. Never empty when the text was not: the full text is kept apart."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if _QUOTE_HEADER.match(stripped) or _SIGNATURE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    result = "\n".join(kept).strip()
    return result or text.strip()


def _attachments(
    leaves: list[Message], limit: int, damaged: list[str]
) -> tuple[tuple[Attachment, ...], list[str]]:
    found: list[Attachment] = []
    refused: list[str] = []
    for part in leaves:
        if part.get_content_type() == "message/rfc822":
            item = _forwarded(part)
        else:
            filename = part.get_filename()
            disposition = (part.get_content_disposition() or "").lower()
            if not filename and disposition != "attachment":
                continue
            name = neutralised(str(filename or "")) or "attachment"
            item = Attachment(name, part.get_content_type(), _payload(part, name, damaged))
        if len(item.data) > limit:
            refused.append(f"{item.filename} ({len(item.data):,} bytes, over {limit:,})")
            continue
        found.append(item)
    return tuple(found), refused


def _bodies(leaves: list[Message], damaged: list[str]) -> tuple[str, str]:
    plain, html = "", ""
    for part in leaves:
        if part.get_filename() or part.get_content_type() == "message/rfc822":
            continue
        if (part.get_content_disposition() or "").lower() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _decode(part, damaged)
        elif kind == "text/html" and not html:
            html = _decode(part, damaged)
    return plain, html


_AR_COMMENT = re.compile(r"\([^()]*\)")
_AR_RESULT = re.compile(r"\s*([a-z0-9_.-]+)(?:/[0-9]+)?\s*=\s*([a-z]+)", re.IGNORECASE)
_AR_PROPERTY = re.compile(r"\b([a-z]+\.[a-z0-9_.-]+)\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.IGNORECASE)


def authentication_results(msg: Message, authserv_id: str) -> AuthResults:
    """The results of the provider's own receiving server. Its headers are the first Authentication-Results
    of the mail (a server adds its own on top); only the run of them that carries ``authserv_id`` counts,
    up to the first one that carries another id — copies further down, whatever id they claim, were written
    by someone else. Within the run, each method (dkim, dmarc) is taken from the topmost header that reports
    it: a copy forged below ours, with our id, cannot add a DKIM pass ours did not find. Nothing counts when
    no authserv-id is configured."""
    if not authserv_id:
        return AuthResults()
    dmarc = dmarc_domain = ""
    dkim_pass: set[str] = set()
    reported: set[str] = set()  # the methods a header above has reported
    for key, value in msg.raw_items():
        if key.lower() != "authentication-results":
            continue
        text = " ".join(str(value).split())
        for _ in range(3):  # comments may nest
            text = _AR_COMMENT.sub(" ", text)
        server, *results = text.split(";")
        if (server.split() or [""])[0].lower() != authserv_id.lower():
            break
        here: set[str] = set()
        for result in results:
            found = _AR_RESULT.match(result)
            if found is None:
                continue
            method, outcome = found.group(1).lower(), found.group(2).lower()
            here.add(method)
            if method in reported:
                continue
            props = {k.lower(): v.strip('"').lower() for k, v in _AR_PROPERTY.findall(result[found.end() :])}
            if method == "dmarc" and not dmarc:
                dmarc, dmarc_domain = outcome, props.get("header.from", "")
            elif method == "dkim" and outcome == "pass":
                signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
                if signer:
                    dkim_pass.add(signer)
        reported |= here
    return AuthResults(dmarc=dmarc, dmarc_domain=dmarc_domain, dkim_pass=frozenset(dkim_pass))


def _sender(msg: Message) -> tuple[str, str, str]:
    """(display name, address, problem) of the From header. The problem is set when the header could name
    someone else than the address taken: several From headers, several mailboxes, text the parsers read
    differently (``a@b.example <c@d.example>`` is Carla to one and Eve to another)."""
    # The address is read from the raw header, before encoded words are decoded: a display name that
    # decodes to "Carla\r\nBcc: victim@evil.example" must not supply the address.
    headers = [str(v) for k, v in msg.raw_items() if k.lower() == "from"]
    from_header = headers[0] if headers else ""
    parsed = getaddresses([" ".join(from_header.split())])
    addresses = [(n, a) for n, a in parsed if "@" in a]
    if not addresses:
        raise Unparseable(f"no sender address in From: {from_header[:200]!r}")
    encoded_name, sender = addresses[0]
    local, _, domain = sender.partition("@")
    problem = ""
    if len(headers) > 1:
        problem = "several From headers"
    elif len(parsed) > 1:
        problem = "the From header names several mailboxes, or cannot be read as one"
    elif not local or not domain or "@" in domain or any(c.isspace() for c in sender):
        problem = "the From address is not one plain address"
    else:
        try:
            strict = getattr(msg["From"], "addresses", None)
        except (ValueError, TypeError, IndexError):
            strict = None  # the modern parser refuses it (a line break in the name): the raw read stands
        if strict is not None and [a.addr_spec.lower() for a in strict] != [sender.lower()]:
            problem = "the From header reads as another address to a strict parser"
    return neutralised(_decoded(encoded_name)), sender.strip().lower(), problem


def _addresses(msg: Message, *names: str) -> tuple[str, ...]:
    values = [str(v) for k, v in msg.raw_items() if k.lower() in names]
    found = [a.strip().lower() for _, a in getaddresses([" ".join(v.split()) for v in values]) if "@" in a]
    return tuple(dict.fromkeys(found))


def parse(raw: bytes, *, attachment_limit: int = 10 * 1024 * 1024, authserv_id: str = "") -> ParsedMail:
    """Read a mail. ``authserv_id`` is the provider's receiving server's (see ``authentication_results``).
    Every text it returns can be stored as it is (``storable``); names are ``neutralised``."""
    if not raw or not raw.strip():
        raise Unparseable("empty message")
    try:
        msg: Message = message_from_bytes(raw, policy=policy.default)
    except Exception:
        msg = message_from_bytes(raw, policy=policy.compat32)
    sender_name, sender, sender_problem = _sender(msg)
    ids = message_ids(storable(_header(msg, "Message-ID")))
    message_id = ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    damaged: list[str] = []
    try:
        leaves = list(_leaves(msg))
        plain, html = _bodies(leaves, damaged)
        attachments, refused = _attachments(leaves, attachment_limit, damaged)
    except Exception as exc:  # a part the library cannot decode at all
        raise Unparseable(f"unreadable body: {exc}") from exc
    text = plain or html_to_text(html)
    if refused:
        text += "\n\n[Attachments not kept, over the size limit: " + ", ".join(refused) + "]"
    if damaged:
        text += "\n\n[Damaged in transit, kept as received: " + "; ".join(damaged) + "]"
    date = None
    try:
        date_header = _header(msg, "Date")
        date = parsedate_to_datetime(date_header) if date_header else None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError):
        date = None
    return ParsedMail(
        message_id=message_id,
        sender=storable(sender),
        sender_name=sender_name,
        subject=neutralised(_header(msg, "Subject")),
        text=storable(text).strip(),
        html=storable(sanitise(html)) if html else "",
        in_reply_to=message_ids(storable(_header(msg, "In-Reply-To"))),
        references=message_ids(storable(_header(msg, "References"))),
        date=date,
        attachments=attachments,
        automatic=storable(automatic_reason(msg)),
        sender_problem=sender_problem,
        auth=authentication_results(msg, authserv_id),
        loop_markers=tuple(storable(v) for v in _header_all(msg, "X-Loop")),
        recipients=_addresses(msg, "to", "cc", "delivered-to", "x-original-to"),
        damaged=tuple(damaged),
    )


def _header_all(msg: Message, name: str) -> list[str]:
    return [" ".join(str(v).split()).lower() for k, v in msg.raw_items() if k.lower() == name.lower()]


def safe_header_value(value: str) -> str:
    """A value taken from a customer (a name, a subject) made safe for an outbound header: line breaks,
    which could start a new header, become spaces."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())
