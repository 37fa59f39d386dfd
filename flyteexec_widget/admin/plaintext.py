"""Server text made safe to print: for ``text/plain``, a terminal line, a prompt on stderr.

A name, an error or a URL from FlyteAdmin (or an IdP) is untrusted. Printed as is, ``\\x1b[2J`` clears the screen,
an OSC-8 sequence makes a hidden link, ``\\r`` or a newline forges a line, and U+202E shows text reversed. The
HTML renderings escape what they show; :func:`printable` is the same rule for plain text: every control character
(C0, DEL, C1, so every ANSI/OSC sequence loses its ESC) and every bidi control becomes a visible escape such as
``\\x1b`` or ``\\u202e``. It lives in the lowest layer so the text tree, the ``wait()`` line and the login prompt
share it.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls (tab and newline too: inside one value they would forge layout), DEL and the C1 controls (U+009B and
# U+009D start CSI and OSC sequences on their own); the bidi embeddings, overrides, isolates and marks; and the
# Unicode line and paragraph separators, which some terminals break lines on.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group(0)
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters and bidi controls replaced by visible escapes (``\\x1b``, ``\\n``,
    ``\\u202e``); everything else, box-drawing characters and emoji included, is kept."""
    return _UNSAFE.sub(_escape, text)
