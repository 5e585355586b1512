"""Writing the inventory folder: atomic files, and the progress state that `--resume` reads.

Every file is written to a temporary name beside it and renamed over the target (`os.replace` is
atomic on one file system), so a crash leaves the previous file or the new one, never half of one.
The progress state lives in `.vnet-planner-scan/` under the output folder, in files whose names do
not end in `.json`/`.jsonl`, because `plan` reads every such file under the folder.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from planner.core.files import replacing

STATE_DIR = ".vnet-planner-scan"
STATE_FILE = "state"
JOURNAL_FILE = "arm-journal"


@functools.cache
def _umask() -> int:
    # The only way to read the umask is to set it; done once, before any worker thread writes.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: Path) -> Iterator[Any]:
    """Open a text file for writing that appears at `path` only when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as handle:
        # The temporary file is private (0600); an inventory is meant to be handed on, so give it the
        # mode any new file gets.
        os.fchmod(handle.fileno(), 0o666 & ~_umask())
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line, atomically; return the number of lines."""
    count = 0
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a file written by write_jsonl."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_json(path: Path, doc: Any) -> None:
    """Write an indented JSON document, atomically."""
    with atomic_open(path) as handle:
        json.dump(doc, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


class ScanState:
    """The progress of a scan in `<out>/.vnet-planner-scan/`: a state document and an ARM journal.

    The journal gets one line per finished ARM call (its records or its failure) as it happens, so
    an interrupted scan loses at most the calls in flight. A torn last line is ignored on reading.
    """

    def __init__(self, out: Path) -> None:
        self.dir = out / STATE_DIR
        self._lock = threading.Lock()
        self._journal: Any = None

    @property
    def state_path(self) -> Path:
        """The state document."""
        return self.dir / STATE_FILE

    @property
    def journal_path(self) -> Path:
        """The ARM journal."""
        return self.dir / JOURNAL_FILE

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none (or it is unreadable)."""
        try:
            doc = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def save(self, state: dict[str, Any]) -> None:
        """Replace the state document atomically."""
        write_json(self.state_path, state)

    def journal(self) -> list[dict[str, Any]]:
        """Every complete journal line, oldest first."""
        entries: list[dict[str, Any]] = []
        try:
            with self.journal_path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # the line being written when the scan stopped
                    if isinstance(entry, dict):
                        entries.append(entry)
        except FileNotFoundError:
            pass
        return entries

    def append(self, entry: dict[str, Any]) -> None:
        """Add one journal line (thread-safe), flushed so a crash keeps it."""
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._journal is None:
                self.dir.mkdir(parents=True, exist_ok=True)
                self._journal = self.journal_path.open("a", encoding="utf-8")
            self._journal.write(line)
            self._journal.flush()

    def close(self) -> None:
        """Close the journal file."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    def clear(self) -> None:
        """Forget all progress (a fresh scan, or a complete one)."""
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)
