"""The style sheet's colour pairs meet WCAG 2.1 AA contrast (4.5:1 for text)."""

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parent.parent / "guichet" / "static" / "guichet.css").read_text()


def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def var(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{3,6}})", CSS).group(1)


def badge(state: str) -> tuple[str, str]:
    """A clock badge's text colour and background (tickets/present.py's states)."""
    rule = re.search(rf"\.badge-{state}\b[^{{]*\{{([^}}]*)\}}", CSS).group(1)
    colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", rule).group(1)
    return colour, re.search(r"background:\s*(#[0-9a-fA-F]{3,6})", rule).group(1)


def test_text_colours_stand_out_from_their_backgrounds():
    white = "#ffffff"
    pairs = {
        "body text": (var("ink"), white),
        "muted text": (var("muted"), white),
        "links and buttons": (var("accent"), white),
        "white on the header and buttons": (white, var("accent")),
        "errors": (var("error"), white),
        "text on a staff line": (var("ink"), var("staff")),
        "muted text on a customer line": (var("muted"), var("customer")),
        "overdue row": (var("ink"), var("overdue-bg")),
        "soon-due row": (var("ink"), var("soon-bg")),
        "late text": (var("error"), var("staff")),
        # issue 15's components
        "white on a hovered button": (white, var("accent-dark")),
        "white on a danger button": (white, var("danger")),
        "secondary button hovered": (var("accent"), var("staff")),
        "success badge": (var("success"), var("success-bg")),
        "warning badge": (var("warning"), var("warning-bg")),
        "danger badge": (var("danger"), var("danger-bg")),
        "info badge": (var("info"), var("info-bg")),
        "neutral badge": (var("neutral"), var("neutral-bg")),
        "success message": (var("ink"), var("success-bg")),
        "info message": (var("ink"), var("info-bg")),
        "warning message": (var("ink"), var("warning-bg")),
        "error message": (var("ink"), var("danger-bg")),
        "error list": (var("error"), var("danger-bg")),
        "table header": (var("ink"), var("head")),
        "zebra row": (var("ink"), var("zebra")),
        "muted text on a zebra row": (var("muted"), var("zebra")),
        "link on an overdue row": (var("accent"), var("overdue-bg")),
        "link on a soon-due row": (var("accent"), var("soon-bg")),
        "muted text on an overdue row": (var("muted"), var("overdue-bg")),
        "muted text on the side panels": (var("muted"), var("customer")),
        "links on the side panels": (var("accent"), var("customer")),
        "met clock": (var("success"), white),
        **{f"clock badge {state}": badge(state) for state in ("ok", "warning", "breached", "met", "paused")},
    }
    weak = {name: round(contrast(*colours), 2) for name, colours in pairs.items() if contrast(*colours) < 4.5}
    assert weak == {}
