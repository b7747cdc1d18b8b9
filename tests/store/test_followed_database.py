"""A background reader's connection follows the card's calls to the file they are in now: a new file
where the deleted one was, or a path it is pointed at; never a file at the path that is not the card's."""

import sqlite3

from hangup_coach.store.db import FollowedDatabase, open_db


def calls_table_file(path, call_id):
    db = open_db(path, check=True)                      # as the store worker makes and marks it
    db.execute("INSERT INTO calls (id, started_at, updated_at, caller_class)"
               " VALUES (?, '2026-12-03T10:00:00Z', '2026-12-03T10:00:00Z', 'regular')",
               [call_id])
    db.conn.commit()
    db.conn.close()


def ids(db):
    return [r[0] for r in db.execute("SELECT id FROM calls ORDER BY id").fetchall()]


def test_it_follows_a_new_file_at_the_path_and_never_a_foreign_one(tmp_path):
    path = tmp_path / "calls.db"
    calls_table_file(path, "before")
    followed = FollowedDatabase(path)
    try:
        assert ids(followed.get()) == ["before"]
        for suffix in ("", "-wal", "-shm"):                 # deleted while the reader has it open
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        assert ids(followed.get()) == ["before"]            # nothing there yet: the lost file still reads
        calls_table_file(path, "after")                     # the store worker's new file
        assert ids(followed.get()) == ["after"]

        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        foreign = sqlite3.connect(path)                     # another program's file in its place
        foreign.execute("CREATE TABLE photos (name TEXT)")
        foreign.commit()
        foreign.close()
        before = path.read_bytes()
        assert ids(followed.get()) == ["after"]             # not opened, not changed
        assert path.read_bytes() == before
        kept = tmp_path / "calls.db.kept-1"                 # where the store worker put the calls
        calls_table_file(kept, "kept")
        followed.path = kept
        assert ids(followed.get()) == ["kept"]
    finally:
        followed.close()
