"""Files that appear whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write, which becomes `path` when the block ends without error
    and is removed when it fails: a reader sees the old file or the new one, never half of one.

    The temporary name starts with a dot and ends in .tmp (`plan` never reads it as inventory). Like
    any `mkstemp` file it is private (0600) until the caller changes that.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
