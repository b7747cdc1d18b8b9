"""What the store has not confirmed yet, in a small file beside the database.

While the database cannot be written (locked by another program, disk full, read-only), the store
worker keeps the unsaved call changes and notes here, so a crash or a restart loses none of them;
the next start writes them to the database and removes the file. The file is replaced atomically
(written to a temporary file, flushed to disk, renamed) and readable by the agent only.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalDamage:
    """The last run's journal could not be (fully) read: where it is kept, why, and how many of its
    entries could not be brought back (0: none could be read at all, or all could)."""

    kept_as: Path
    why: str
    unreadable: int = 0


class UnsavedJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.damage: JournalDamage | None = None

    @classmethod
    def beside(cls, db_path: Path) -> "UnsavedJournal":
        return cls(Path(f"{db_path}.unsaved.json"))

    def write(self, calls: dict[str, dict], notes: dict[str, dict]) -> None:
        """Replace the journal with exactly these calls (rows) and notes ({text, at}); none: remove it.
        Raises OSError (disk full…): the caller keeps everything in memory and reports it."""
        if not calls and not notes:
            if self.path.exists():
                self.path.unlink()
            return
        data = json.dumps({"version": 1, "calls": calls, "notes": notes}, ensure_ascii=False, default=_iso)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            try:
                view = memoryview(data.encode("utf-8"))
                while view:                       # os.write may write less than asked
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)           # a disk too full for it: no half-written file left behind
            raise
        _sync_folder(self.path.parent)

    def read(self) -> tuple[dict[str, dict], dict[str, dict]]:
        """What an earlier run left unsaved. A damaged journal is set aside (never deleted) and logged;
        `damage` then says so (the store worker tells the agent)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            calls, notes = data["calls"], data["notes"]
            if not isinstance(calls, dict) or not isinstance(notes, dict):
                raise ValueError("calls and notes must be objects")
            return calls, notes
        except FileNotFoundError:
            return {}, {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("the unsaved-changes journal %s is unreadable (%s)", self.path, exc)
            self.set_aside(f"{type(exc).__name__}: {exc}")
            return {}, {}

    def set_aside(self, why: str, unreadable: int = 0) -> None:
        """Keep a journal that cannot be (fully) used as `<name>.damaged` (`.damaged-2`… if that is
        taken) for IT, never delete it; `damage` says where, and why."""
        aside = self.path.with_name(self.path.name + ".damaged")
        n = 1
        while os.path.lexists(aside):
            n += 1
            aside = self.path.with_name(f"{self.path.name}.damaged-{n}")
        try:
            os.replace(self.path, aside)
            log.error("kept the unusable journal as %s", aside)
        except OSError as exc:
            log.error("cannot keep the unusable journal %s aside: %s", self.path, exc)
            aside = self.path
        self.damage = JournalDamage(aside, why, unreadable)


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    raise TypeError(f"cannot write {type(value).__name__} to the journal")


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
