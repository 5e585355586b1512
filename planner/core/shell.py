"""Bash command lines that read like a person wrote them, and the `<PLACEHOLDERS>` left in them.

Shared by the runbook (which builds commands) and the script renderer (which re-quotes them for
PowerShell), so both agree on one quoting.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from functools import lru_cache

PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)  # the characters shlex.quote leaves bare, inverted
_SPECIAL_IN_DOUBLE_QUOTES = re.compile(r'[$`"\\!]')


@lru_cache(maxsize=1 << 16)  # flags, ids and names repeat across thousands of commands
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


def placeholders(text: str) -> list[str]:
    """Placeholders still in a text, in order of appearance, without repeats."""
    seen: list[str] = []
    if "<" not in text:  # the common case, and much cheaper than the pattern
        return seen
    for found in PLACEHOLDER.findall(text):
        if found not in seen:
            seen.append(found)
    return seen
