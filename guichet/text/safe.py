"""Text from outside made safe to store and to show — pure Python, no Django.

Mail, forms and the API bring names (of people, of files) and subjects typed by anyone. Two things in them
mislead or break: characters a database refuses or cannot encode (PostgreSQL refuses NUL; a lone surrogate,
left by undecodable bytes, cannot be written as UTF-8), and characters that change how the text around them
is shown without being seen themselves — the bidi embeddings, overrides and isolates (a file name
``invoice\\u202efdp.exe`` shows as ``invoiceexe.pdf``) and invisible direction marks.
"""

from __future__ import annotations

import re

_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all C0/C1 controls but tab and line breaks
_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Text a database stores as it is: NUL and the other controls dropped (tabs and line breaks kept), lone
    surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def neutralised(name: str) -> str:
    """A name (a person's, a file's) or a subject safe to show on one line: bidi controls and every control
    character removed, whitespace runs (line breaks included) made one space."""
    return " ".join(_BIDI.sub("", storable(name)).split())
