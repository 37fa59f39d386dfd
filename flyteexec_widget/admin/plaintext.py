"""Untrusted text made safe to show: server text for ``text/plain``, a terminal line, a prompt on stderr
(:func:`printable`), and a login tool's stderr with anything token-like redacted (:func:`redact_tokens`).

A name, an error or a URL from FlyteAdmin (or an IdP) is untrusted. Printed as is, ``\\x1b[2J`` clears the screen,
an OSC-8 sequence makes a hidden link, ``\\r`` or a newline forges a line, and U+202E shows text reversed. The
HTML renderings escape what they show; :func:`printable` is the same rule for plain text: every control character
(C0, DEL, C1, so every ANSI/OSC sequence loses its ESC) and every bidi control becomes a visible escape such as
``\\x1b`` or ``\\u202e``. It lives in the lowest layer so the text tree, the ``wait()`` line and the login prompt
share it.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "printable", "printable_cut", "redact_tokens"]

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


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` with control characters and bidi controls replaced by visible escapes (``\\x1b``, ``\\n``,
    ``\\u202e``); everything else, box-drawing characters and emoji included, is kept. ``multiline`` keeps
    newlines as they are (an exception's message, a traceback from the server), ``\\r`` still escaped."""
    if multiline:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


def printable_cut(text: str, limit: int = 300) -> str:
    """:func:`printable` of ``text`` cut to ``limit`` characters (a URL or an error a server sent, in a message)."""
    return printable(text if len(text) <= limit else text[: limit - 1] + "…")


#: What in a login tool's stderr may be a credential: a JWT, a ``Bearer``/``Basic`` credential, the value after a
#: word like token/secret/password/key, and any long run of token characters holding letters and digits (opaque
#: tokens, hex secrets). Over-redacting an id or a hash is the price of never showing a token. The groups ``scheme``
#: and ``key`` hold what stays (``Bearer ``, ``client_secret=``) so the message still says what went wrong.
_SECRET_WORD = r"[a-z_-]*(?:token|secret|password|passwd|pwd|api[_-]?key|credential|cookie|authorization)[a-z_-]*"
_TOKENISH = re.compile(
    r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
    r"|(?P<scheme>(?i:\b(?:bearer|basic)\s+))\S+"
    rf"|(?P<key>(?i:{_SECRET_WORD}[\"']?\s*[:=]\s*[\"']?))(?!(?i:bearer|basic)\s)[^\s\"',;&]+"
    # a whole run (not the tail of one, not an absolute path's): 24+ token characters with a letter and a digit
    r"|(?<![A-Za-z0-9_\-+=.~/])(?=[A-Za-z0-9_\-+=.~/]*[0-9])(?=[A-Za-z0-9_\-+=.~/]*[A-Za-z])"
    r"[A-Za-z0-9_\-+=.~][A-Za-z0-9_\-+=.~/]{23,}"
    # a random token may hold no digit (about 1 in 1,400 of 43 urlsafe characters): 32+ of them in one run, any mix
    r"|(?<![A-Za-z0-9_\-+=.~/])[A-Za-z0-9_\-]{32,}(?![A-Za-z0-9_\-+=.~/])"
)
REDACTED = "[redacted]"


def redact_tokens(text: str) -> str:
    """``text`` with whatever looks like a token replaced by ``[redacted]``."""
    return _TOKENISH.sub(lambda m: (m.group("scheme") or m.group("key") or "") + REDACTED, text)
