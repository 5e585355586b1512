"""Errors the CLI turns into exit codes.

`InputError` is bad input from the user (exit 2): its message is one line naming the file,
the position and the field, so a user can fix the input without reading a traceback.
"""

from __future__ import annotations

import re

# File names and quoted values come from the input; a newline or terminal escape in one must not
# break the one-line contract (or the user's terminal).
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with control characters shown as escapes (`\\n`, `\\x1b`), so it prints as one line."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class InputError(Exception):
    """Bad input: a file or field the planner cannot use. The CLI prints it and exits 2."""

    def __init__(self, file: str, message: str, *, field: str | None = None, position: str | None = None):
        self.file = file
        self.field = field
        self.position = position
        self.detail = message
        where = file
        if position:
            where += f", {position}"
        if field:
            where += f", field '{field}'"
        super().__init__(one_line(f"{where}: {message}"))
