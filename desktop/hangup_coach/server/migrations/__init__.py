"""The server database's migrations, with Alembic: the same revisions on SQLite and PostgreSQL.

Revisions live in versions/ (each module its own: i.e. a domain module adds its tables in a
revision of its own). `upgrade` runs them inside the caller's write transaction, so two server
processes starting at once apply each revision once. Before Alembic the server kept
`schema_migrations` (1 initial, 2 cases); a database from then is stamped with the matching
revision first and carried on from there.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

HERE = Path(__file__).parent
# schema_migrations' last version → the revision of the same schema. 3 (the blocklist's tables, on
# main for an hour before Alembic) is carried on from 0002: the later revisions skip what exists.
BEFORE_ALEMBIC = {1: "0001", 2: "0002", 3: "0002"}


class SchemaTooNew(RuntimeError):
    """A newer server has migrated this database; this one would misread it."""


def config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = conn
    return cfg


def heads() -> tuple[str, ...]:
    """This server's newest revisions (more than one while two modules' revisions sit side by side)."""
    return tuple(sorted(ScriptDirectory.from_config(config()).get_heads()))


def current(conn: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def upgrade(conn: Connection, target: str = "heads") -> tuple[str, ...]:
    """Bring the database to this server's heads (or `target`, for tests), in `conn`'s open
    transaction; the revisions now."""
    cfg = config(conn)
    scripts = ScriptDirectory.from_config(cfg)
    now = current(conn)
    if not now and inspect(conn).has_table("schema_migrations"):
        legacy = conn.execute(text("SELECT MAX(version) FROM schema_migrations")).scalar()
        if legacy in BEFORE_ALEMBIC:
            command.stamp(cfg, BEFORE_ALEMBIC[legacy])
            now = current(conn)
    for revision in now:
        try:
            scripts.get_revision(revision)
        except CommandError:
            raise SchemaTooNew(f"the database's schema ({revision}) is newer than this server's "
                               f"({', '.join(heads())}): run the newer server") from None
    command.upgrade(cfg, target)
    return current(conn)
