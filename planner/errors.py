"""Errors the CLI turns into exit codes.

`InputError` is bad input from the user (exit 2): its message is one line naming the file,
the position and the field, so a user can fix the input without reading a traceback.
"""

from __future__ import annotations


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
        super().__init__(f"{where}: {message}")
