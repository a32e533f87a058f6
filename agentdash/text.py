"""Making untrusted text (agent output, remote errors) safe to put on a terminal.

Textual and Rich pass raw escape bytes through to the terminal even with markup off, so a
hostile agent reply could retitle the pane, clear the screen or smuggle an OSC 52 clipboard
write. Every path that shows such text (the CLI and every widget) goes through
:func:`safe_text` first: C0 controls other than newline and tab, ESC, DEL, C1 controls and
lone surrogates become visible placeholders, so nothing is silently hidden either.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_DEL_PICTURE = "\u2421"  # ␡
_REPLACEMENT = "\ufffd"  # �


def _placeholder(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL...
    if code == 0x7F:
        return _DEL_PICTURE
    return _REPLACEMENT


def safe_text(text: str) -> str:
    """``text`` with every control character but ``\\n`` and ``\\t`` shown as a placeholder."""
    return _UNSAFE.sub(_placeholder, text.replace("\r\n", "\n"))
