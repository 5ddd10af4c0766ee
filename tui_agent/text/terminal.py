"""The one boundary where untrusted text (memory rows, imported pools, model output) becomes terminal output.

A terminal acts on control characters: ``ESC [ 2 J`` clears the screen, ``ESC ] 0 ; … BEL``
sets the window title, ``ESC ] 52 ; c ; … BEL`` (OSC 52) writes the clipboard, a bare ``CR``
overwrites the line. Every place that shows stored or generated text — ``memory show / list /
search``, ``ask``, the chat's answer view, the F2 browser — passes it through :func:`visible`
first, so such text is *shown*, never *acted on*:

* C0 controls (U+0000–U+001F) except newline and tab, and DEL (U+007F), become their Unicode
  "control pictures" (``ESC`` → ``␛``, ``BEL`` → ``␇``, ``CR`` → ``␍``, ``DEL`` → ``␡``); so an
  ANSI CSI or OSC sequence stays readable (``␛[2J``, ``␛]52;c;…␇``) and inert;
* C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B) and the bidirectional overrides /
  isolates (U+202A–U+202E, U+2066–U+2069) become ``\\x9b`` / ``\\u202e`` text;
* ``CRLF`` is read as a newline first (Windows line ends are not controls to show).

:func:`json_text` does the same for JSON output without losing data: JSON already escapes
C0 controls; C1 and the bidi controls are written as ``\\uXXXX`` escapes (still valid JSON,
decoding to the same string).

Pure Python, no imports beyond the standard library (every layer may use it).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_text", "visible"]

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def visible(text: Any) -> str:
    """``text`` (any object, via ``str``) with every terminal control made visible (see the module doc).

    Newlines and tabs are kept; ``\\r\\n`` becomes ``\\n``. Idempotent: ``visible(visible(s)) ==
    visible(s)``. Never raises.
    """
    text = text if isinstance(text, str) else str(text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_picture, text)


def json_text(data: Any) -> str:
    """``data`` as one line of JSON (UTF-8 kept) that is safe to print to a terminal.

    Decoding it gives back exactly ``data``: controls are escapes (``\\u001b``, ``\\u009b``),
    never raw characters. Values JSON cannot encode are written with ``str``.
    """
    dumped = json.dumps(data, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
