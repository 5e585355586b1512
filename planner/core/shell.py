"""Bash command lines that read like a person wrote them, and the `<PLACEHOLDERS>` left in them.

Shared by the runbook (which builds commands) and the script renderer (which re-quotes them for
PowerShell), so both agree on one quoting.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)  # the characters shlex.quote leaves bare, inverted
_SPECIAL_IN_DOUBLE_QUOTES = re.compile(r'[$`"\\!]')
# `split`: shlex's whitespace is exactly these four characters (not str.split's Unicode whitespace).
_QUOTING = re.compile(r"['\"\\]")
_BARE_WORD = re.compile(r"[^ \t\r\n]+")
# A word as written: bare characters, '...', "..." (where a backslash escapes the next character) and
# backslash escapes, side by side. Possessive: each alternative starts with a different character.
_TOKEN_TEXT = r"""(?:[^ \t\r\n'"\\]++|'[^']*+'|"(?:[^"\\]++|\\.)*+"|\\.)++"""
_TOKEN = re.compile(_TOKEN_TEXT, re.DOTALL)
_SPLITTABLE = re.compile(rf"[ \t\r\n]*+(?:{_TOKEN_TEXT}[ \t\r\n]*+)*+", re.DOTALL)
_PIECE = re.compile(  # bare text | '...' | "..." | backslash and the character it escapes
    r"""([^'"\\]+)|'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.DOTALL
)
_ESCAPED_IN_DOUBLE_QUOTES = re.compile(r'\\([\\"])')  # inside "...", shlex unescapes only \" and \\


# An app's names recur in its dozen commands; a bigger cache held 30 MB of one-off URLs and ids.
@lru_cache(maxsize=1 << 12)
def quote(word: str) -> str:
    """Bash quoting that reads like a person wrote it, and that `shlex.split` undoes exactly.

    Single quotes as `shlex.quote` does, except that a word holding single quotes (JMESPath and KQL
    string literals) gets double quotes when nothing in it is special inside them.
    """
    if word and not _UNSAFE.search(word):
        return word
    if "'" in word and not _SPECIAL_IN_DOUBLE_QUOTES.search(word):
        return f'"{word}"'
    return shlex.quote(word)


def join(argv: Sequence[str]) -> str:
    """A command line from its words (the inverse of `shlex.split`)."""
    return " ".join(quote(w) for w in argv)


def split(command: str) -> list[str]:
    """The words of a command line: exactly `shlex.split(command)` (POSIX rules, no comments), in
    C-speed regular expressions instead of shlex's character-by-character reader."""
    if not _QUOTING.search(command):  # the common case: words are what lies between the whitespace
        return _BARE_WORD.findall(command)
    return [unquote(token) for token in tokens(command)]


def tokens(command: str) -> list[str]:
    """The words of a command line as written, quotes and escapes kept: `unquote` of each is `split`'s
    word. Raises shlex's ValueError for an unclosed quote or a trailing backslash."""
    if not _QUOTING.search(command):
        return _BARE_WORD.findall(command)
    if not _SPLITTABLE.fullmatch(command):
        shlex.split(command)  # raises shlex's own error
        raise ValueError(f"cannot split {command!r}")  # pragma: no cover - shlex raised above
    return _TOKEN.findall(command)


def is_token(text: str) -> bool:
    """Whether a text is exactly one word as a command line writes it (a token `tokens` can return)."""
    return _TOKEN.fullmatch(text) is not None


def unquote(token: str) -> str:
    """The word one token of `tokens` stands for (shlex's POSIX rules)."""
    if not _QUOTING.search(token):
        return token
    word: list[str] = []
    for bare, single, double, escaped in _PIECE.findall(token):  # one of them is the piece
        word += (bare, single, _ESCAPED_IN_DOUBLE_QUOTES.sub(r"\1", double) if double else "", escaped)
    return "".join(word)


def placeholders_in(values: Iterable[Any]) -> list[str]:
    """`placeholders` of several values, lists among them read word by word (a Bicep call's parameters)."""
    return placeholders(
        " ".join(" ".join(map(str, v)) if isinstance(v, list | tuple) else str(v or "") for v in values)
    )


def placeholders(text: str) -> list[str]:
    """Placeholders still in a text, in order of appearance, without repeats."""
    seen: list[str] = []
    if "<" not in text:  # the common case, and much cheaper than the pattern
        return seen
    for found in PLACEHOLDER.findall(text):
        if found not in seen:
            seen.append(found)
    return seen
