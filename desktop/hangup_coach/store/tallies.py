"""The report's tallies, kept up to date in the same transaction as every write of a call.

A year of a team's calls (~1.8 M rows) takes SQLite seconds to add up, so the figures are read
from tallies instead (store/reports.py): `report_cells` holds one `core.stats.Tally` per (local
day, agent, class), `report_counts` the answered non-regular / no-value calls by their
explanations and warnings, `report_hours` the calls by local hour. The calls are those of
`review_calls` (migration 0007): the file's own `calls` and, on a lead's card, the team pull's
rows of `team_calls` (version set; evidence rows never count).

Triggers on both tables subtract a changed call's old contribution and add its new one, whoever
writes (the card, sync, a script), inside the writer's own transaction: a tally always equals a
recount. Local days depend on the UTC offset, so tallies are kept for each offset in
`report_offsets` (this machine's, registered when the file is made, and any a report asks for).
An offset added to a file that already holds calls (an upgraded file, another offset) is built
once, oldest calls first, in short transactions of CHUNK_CALLS calls: `built_until` says which
calls are in (started_at < built_until; "~" sorts after every time: all of them), and the
triggers count a call only once its time is below it, so nothing is counted twice or missed
while the card keeps writing.

Every rule of what a call adds is written once, in ROW (and the key expressions), and used by
both the triggers and the build.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..core.tally_rules import ROW, seconds_between
from .db import migration
from .outbox import write_transaction

if TYPE_CHECKING:
    from .database import Database

ALL = "~"              # built_until once every call is in: sorts after any ISO time
CHUNK_CALLS = 20_000   # calls added up per transaction while building (~0.1 s under the write lock)


HOUR_ROW = {name: ROW[name] for name in ("calls", "agent_ended", "customer_ended")}
COUNTED = "{r}caller_class IN ('non_regular', 'no_value') AND {r}answered_at IS NOT NULL"   # report_counts' calls
# the columns a call's contribution depends on: an update touching none of them changes no tally
READ_COLUMNS = ("started_at", "agent_id", "caller_class", "answered_at", "ended_at", "ended_by",
                "closure_confirmed_at", "hangup_allowed_at", "hangup_prompted_at", "customer_hung_up_in_grace",
                "agent_ended_early", "explanations", "warnings")


# What the what-if (store/reports.what_if) reads of one ended call, in seconds, so that it reads
# numbers rather than parsing four times per call (a year's what-if took ~4 s).
WHAT_IF_ROW = {
    "agent_id": "{r}agent_id",
    "explanations": "{r}explanations",
    "talk": "CASE WHEN {r}answered_at IS NOT NULL THEN " + seconds_between("{r}ended_at", "{r}answered_at") + " END",
    "to_allowed": seconds_between("{r}hangup_allowed_at", "{r}answered_at"),
    "since_closure": seconds_between("{r}ended_at", "{r}closure_confirmed_at"),
}
WHAT_IF_WHEN = ("{r}ended_at IS NOT NULL AND ({r}caller_class = 'non_regular' AND {r}answered_at IS NOT NULL"
                " OR {r}caller_class = 'regular' AND {r}closure_confirmed_at IS NOT NULL)")
_WHAT_IF_KEY = ("caller_class", "started_at", "call_id", "own")


def _what_if_select(r: str, call_id: str, own: int) -> str:
    values = [f"{r}caller_class", f"{r}started_at", f"{r}{call_id}", str(own),
              *(e.format(r=r) for e in WHAT_IF_ROW.values())]
    return f"SELECT {', '.join(values)}"


def _what_if_insert(source: str) -> str:
    columns = ", ".join([*_WHAT_IF_KEY, *WHAT_IF_ROW])
    updates = ", ".join(f"{c} = excluded.{c}" for c in WHAT_IF_ROW)
    return (f"INSERT INTO report_what_if ({columns}) SELECT * FROM ({source}) WHERE true"
            f" ON CONFLICT ({', '.join(_WHAT_IF_KEY)}) DO UPDATE SET {updates}")


def _what_if_statements(row: str, sign: int, counts_when: str, call_id: str, own: int) -> list[str]:
    r = f"{row}."
    if sign < 0:
        return [f"DELETE FROM report_what_if WHERE caller_class = {r}caller_class AND started_at = {r}started_at"
                f" AND call_id = {r}{call_id} AND own = {own}"]
    return [_what_if_insert(f"{_what_if_select(r, call_id, own)} WHERE {counts_when} AND {WHAT_IF_WHEN.format(r=r)}"
                            f" AND {r}started_at < (SELECT built_until FROM report_what_if_built)")]


_WHAT_IF_BUILD = _what_if_insert(" UNION ALL ".join(
    f"{_what_if_select('', call_id, own)} FROM {table} WHERE started_at >= ? AND started_at < ?{extra}"
    f" AND {WHAT_IF_WHEN.format(r='')}"
    for table, call_id, own, extra in (("calls", "id", 1, ""), ("team_calls", "call_id", 0, " AND version IS NOT NULL"))))


def _keys(r: str, modifier: str) -> dict[str, str]:
    return {"day": f"date({r}started_at, {modifier})", "agent_id": f"{r}agent_id", "caller_class": f"{r}caller_class"}


def _tables(r: str, modifier: str):
    """(table, its key columns → expressions, its summed columns → expressions, which rows count)."""
    keys = _keys(r, modifier)
    hour = {"hour": f"CAST(strftime('%H', {r}started_at, {modifier}) AS INTEGER)"}
    counts = {"explanations": f"{r}explanations", "warnings": f"{r}warnings"}
    fill = (lambda rows: {k: v.format(r=r) for k, v in rows.items()})
    return (("report_cells", keys, fill(ROW), "1"),
            ("report_hours", {**keys, **hour}, fill(HOUR_ROW), "1"),
            ("report_counts", {**keys, **counts}, {"calls": "1"}, COUNTED.format(r=r)))


def _add(table: str, keys: dict, sums: dict, select_sums: list[str], source: str) -> str:
    """INSERT the grouped/one-row SELECT into `table`, adding to the cell already there."""
    columns = ["utc_offset", *keys, *sums]
    added = ", ".join(f"{c} = {c} + excluded.{c}" for c in sums)
    return (f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM ({source.format(sums=', '.join(select_sums))})"
            f" WHERE true ON CONFLICT ({', '.join(['utc_offset', *keys])}) DO UPDATE SET {added}")


def _row_statements(row: str, sign: int, counts_when: str) -> list[str]:
    """The statements adding (sign +1) or subtracting (-1) one trigger row's contribution, for every
    kept offset whose build has passed its time; a cell left with no calls goes."""
    r, modifier = f"{row}.", "o.utc_offset || ' minutes'"
    out = []
    for table, keys, sums, when in _tables(r, modifier):
        source = (f"SELECT o.utc_offset, {', '.join(keys.values())}, {{sums}} FROM report_offsets o"
                  f" WHERE {row}.started_at < o.built_until AND {counts_when} AND ({when})")
        out.append(_add(table, keys, sums, [f"{sign} * ifnull({e}, 0)" for e in sums.values()], source))
        if sign < 0:
            out.append(f"DELETE FROM {table} WHERE calls = 0 AND (utc_offset, {', '.join(keys)}) IN"
                       f" (SELECT o.utc_offset, {', '.join(keys.values())} FROM report_offsets o)")
    return out


def create_triggers(db: Database) -> None:
    for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_tallies_%'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    for table, counts, call_id, own in (("calls", "1", "id", 1), ("team_calls", "{row}.version IS NOT NULL", "call_id", 0)):
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in READ_COLUMNS)
        if table == "team_calls":   # a row turning evidence (or back) leaves (or joins) the figures
            changed += " OR (OLD.version IS NULL) IS NOT (NEW.version IS NULL)"
        for event, rows, when in (("INSERT", (("NEW", 1),), ""),
                                  ("DELETE", (("OLD", -1),), ""),
                                  ("UPDATE", (("OLD", -1), ("NEW", 1)), f" WHEN {changed}")):
            body = "".join(f"{s};\n" for row, sign in rows
                           for s in [*_row_statements(row, sign, counts.format(row=row)),
                                     *_what_if_statements(row, sign, counts.format(row=row), call_id, own)])
            db.execute(f"CREATE TRIGGER {table}_tallies_{event.lower()} AFTER {event} ON {table}{when}"
                       f" BEGIN\n{body}END")


def _build_sql() -> list[str]:
    """The chunk's statements: each tally table filled from both tables of `review_calls`, the
    calls with built_until <= started_at < the chunk's end. Parameters: offset, offset modifier,
    from, to (twice over, one per table)."""
    out = []
    for table, keys, sums, when in _tables("", "?"):
        def arm(source: str) -> str:
            where = f"started_at >= ? AND started_at < ? AND ({when})"
            named = {**keys, **sums}
            return (f"SELECT {', '.join(f'{e} AS {c}' for c, e in named.items())}"
                    f" FROM {source} WHERE {where}")
        both = " UNION ALL ".join(arm(s) for s in ("calls", "team_pull_calls"))
        grouped = (f"SELECT ? AS utc_offset, {', '.join(keys)}, {{sums}} FROM ({both})"
                   f" GROUP BY {', '.join(keys)}")
        out.append(_add(table, keys, sums, [f"total({c})" for c in sums], grouped))
    return out


_BUILD = _build_sql()


def local_utc_offset() -> int:
    """This machine's UTC offset in minutes now (what the report and dashboard read in)."""
    return int(datetime.now().astimezone().utcoffset().total_seconds() // 60)


def keep_tallies(db: Database, utc_offset: int, progress=None) -> int:
    """Make sure the tallies of `utc_offset` and the what-if's rows are kept: registered (the
    triggers keep them from now on) and built for the calls already in the file, if not yet.
    Returns the calls added up here. `progress(done, total)` is called after each chunk."""
    row = db.execute("SELECT (SELECT built_until FROM report_offsets WHERE utc_offset = ?),"
                     " (SELECT built_until FROM report_what_if_built)", [utc_offset]).fetchone()
    if row == (ALL, ALL):
        return 0   # the usual case: one small read
    with write_transaction(db):
        db.execute("INSERT INTO report_offsets (utc_offset, built_until) SELECT ?, '' WHERE NOT EXISTS"
                   " (SELECT 1 FROM report_offsets WHERE utc_offset = ?)", [utc_offset, utc_offset])
    modifier = f"{utc_offset:+d} minutes"
    builds = (  # (its mark, its parameters, how a chunk is filled)
        ("report_what_if_built", "", [], lambda since, until: db.execute(_WHAT_IF_BUILD, [since, until] * 2)),
        ("report_offsets", " WHERE utc_offset = ?", [utc_offset], lambda since, until: [
            db.execute(statement, _build_params(statement, utc_offset, modifier, since, until)) for statement in _BUILD]))
    left = sum(_calls_from(db, since) for since in (db.execute(f"SELECT built_until FROM {table}{where}", params)
                                                     .fetchone()[0] for table, where, params, _ in builds) if since != ALL)
    total, done, added = max(1, -(-left // CHUNK_CALLS)), 0, 0
    for table, where, params, fill in builds:
        while True:
            with write_transaction(db):   # a chunk and its mark, or neither; short, so writers wait little
                since = db.execute(f"SELECT built_until FROM {table}{where}", params).fetchone()[0]
                if since == ALL:
                    break
                until = _chunk_end(db, since)
                fill(since, until)
                db.execute(f"UPDATE {table} SET built_until = ?{where}", [until, *params])
                added += _calls_between(db, since, until)
            done += 1
            if progress:
                progress(min(done, total), max(done, total))
    return added


def _build_params(statement: str, utc_offset: int, modifier: str, since: str, until: str) -> list:
    per_arm = [modifier] * ((statement.count("?") - 1) // 2 - 2) + [since, until]
    return [utc_offset, *per_arm, *per_arm]


def _calls_from(db: Database, since: str) -> int:
    return db.execute("SELECT (SELECT count(*) FROM calls WHERE started_at >= ?)"
                      " + (SELECT count(*) FROM team_calls WHERE version IS NOT NULL AND started_at >= ?)",
                      [since, since]).fetchone()[0]


def _calls_between(db: Database, since: str, until: str) -> int:
    return db.execute("SELECT (SELECT count(*) FROM calls WHERE started_at >= ? AND started_at < ?)"
                      " + (SELECT count(*) FROM team_calls WHERE version IS NOT NULL AND started_at >= ?"
                      " AND started_at < ?)", [since, until, since, until]).fetchone()[0]


def _chunk_end(db: Database, since: str) -> str:
    """The time after the next CHUNK_CALLS calls from `since` (ALL when fewer are left); always
    past `since`, even when more calls than that share one time."""
    ends = []
    for source, where in (("calls", ""), ("team_calls", " AND version IS NOT NULL")):
        found = db.execute(f"SELECT started_at FROM {source} WHERE started_at >= ?{where} ORDER BY started_at"
                           " LIMIT 1 OFFSET ?", [since, CHUNK_CALLS]).fetchone()
        if found:
            ends.append(found[0])
    if not ends:
        return ALL
    end = min(ends)
    if end > since:
        return end
    later = [r[0] for source, where in (("calls", ""), ("team_calls", " AND version IS NOT NULL"))
             for r in db.execute(f"SELECT min(started_at) FROM {source} WHERE started_at > ?{where}", [since])
             if r[0] is not None]
    return min(later) if later else ALL


@migration("reports_0001_hours")   # named apart from db.py's numbered ones, like qa's
def _kept_hours(db: Database) -> None:
    # Calls by local hour of the day (the dashboard's Hours, issue 21).
    db.execute("""
        CREATE TABLE report_hours (
            utc_offset INTEGER NOT NULL, day TEXT NOT NULL, agent_id TEXT NOT NULL, caller_class TEXT NOT NULL,
            hour INTEGER NOT NULL, calls INTEGER, agent_ended INTEGER, customer_ended INTEGER,
            PRIMARY KEY (utc_offset, day, agent_id, caller_class, hour)
        ) WITHOUT ROWID""")
    db.execute("DELETE FROM report_days")   # the kept days are added up once more, now with their hours


@migration("reports_0002_kept_as_written")
def _kept_as_written(db: Database) -> None:
    # The tallies were recomputed per day at report time, from days marked "dirty" by triggers: a
    # first report of a year took ~10 s. Now the triggers keep them (see above). The tallies kept so
    # far are dropped and built again once per offset, for the offsets reports were read in and
    # this machine's; a file with no calls has nothing to build.
    offsets = {r[0] for r in db.execute("SELECT DISTINCT utc_offset FROM report_days")} | {local_utc_offset()}
    for table in ("calls", "team_calls"):
        for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?"
                                " AND name LIKE ?", [table, f"{table}_report_dirty_%"]).fetchall():
            db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE report_dirty")
    db.execute("DROP TABLE report_days")
    for table in ("report_cells", "report_counts", "report_hours"):
        db.execute(f"DELETE FROM {table}")
    db.execute("CREATE TABLE report_offsets (utc_offset INTEGER PRIMARY KEY, built_until TEXT NOT NULL)")
    empty = _calls_from(db, "") == 0
    db.conn.executemany("INSERT INTO report_offsets VALUES (?, ?)", [(o, ALL if empty else "") for o in offsets])
    # the triggers that keep them: reports_0003, with the what-if's rows


@migration("reports_0003_what_if_rows")
def _what_if_rows(db: Database) -> None:
    # The what-if's numbers per ended call (WHAT_IF_ROW), kept by the same triggers and built once
    # like an offset's tallies (`report_what_if_built`: the calls started before it are in).
    db.execute("""
        CREATE TABLE report_what_if (
            caller_class TEXT NOT NULL, started_at TEXT NOT NULL, call_id TEXT NOT NULL,
            own INTEGER NOT NULL,                 -- 1: the file's own call, 0: the team pull's
            agent_id TEXT NOT NULL, explanations INTEGER NOT NULL,
            talk REAL, to_allowed REAL, since_closure REAL,
            PRIMARY KEY (caller_class, started_at, call_id, own)
        ) WITHOUT ROWID""")
    db.execute("CREATE TABLE report_what_if_built (built_until TEXT NOT NULL)")
    db.execute("INSERT INTO report_what_if_built VALUES (?)", [ALL if _calls_from(db, "") == 0 else ""])
    create_triggers(db)
