"""`hangup-coach server ...`: run the sync server, and manage the devices allowed to use it.

Only argparse at import time: the server's libraries load when a server command runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from .permissions import ROLES     # pure, cheap: the server's libraries still load only when it runs



def add_parser(sub) -> None:
    """Add `server` to the app's sub-commands (app/cli.py)."""
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", metavar="PATH|URL", default=argparse.SUPPRESS,
                          help="SQLite file (default: server.db in the per-user data dir; env "
                               "HANGUP_COACH_SERVER_DATABASE) or postgresql://user@host:port/dbname")
    jobs = argparse.ArgumentParser(add_help=False)
    jobs.add_argument("--evidence-days", type=float, metavar="DAYS", default=argparse.SUPPRESS,
                      help="calls and notes older than this move to the archive table (default 90)")
    server = sub.add_parser("server", parents=[database, jobs], help="run the team's sync server, manage its devices",
                            description="Run the sync server (default), or manage its devices.")
    server.add_argument("--no-jobs", action="store_true",
                        help="leave the scheduled jobs (evidence retention) to `hangup-coach server worker`")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8470, help="port (default 8470)")
    server.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (chain)")
    server.add_argument("--tls-key", metavar="PEM", help="...and this private key")
    server.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL; default 1)")
    server.add_argument("--device-rate", type=float, metavar="N",
                        help="requests per second one device may make to each process (default 50; more: 429)")
    server.add_argument("--max-connections", type=int, default=2000, metavar="N",
                        help="open connections per process; past them new requests get 503 (default 2000)")
    server.add_argument("--proxy-headers", action="store_true",
                        help="behind a reverse proxy: take the client address and scheme from "
                             "X-Forwarded-For/-Proto sent by --forwarded-allow-ips")
    server.add_argument("--recordings", metavar="DIR",
                        help="where uploaded call recordings are kept (default: recordings/ beside the database)")
    server.add_argument("--recording-max-mb", type=float, default=50, metavar="MB",
                        help="the largest recording a card may upload (default 50)")
    server.add_argument("--recording-days", type=float, default=90, metavar="DAYS",
                        help="recordings older than this are deleted (default 90)")
    server.add_argument("--recording-quota-mb", type=float, default=500, metavar="MB",
                        help="recordings one agent may upload in 24 hours; past it 429, the card "
                             "keeps the rest for later (default 500: a full day of calls)")
    server.add_argument("--blocklist-rules", metavar="FILE.toml",
                        help="the centre's blocklist rules (default: the shipped resources/blocklist.toml)")
    server.add_argument("--kamailio-rpc", metavar="URL",
                        help="keep this Kamailio's blocklist in step, e.g. http://127.0.0.1:5080/RPC")
    server.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS",
                        help="comma-separated proxy addresses trusted for those headers (default 127.0.0.1)")
    actions = server.add_subparsers(dest="server_command",
                                    metavar="{add-device,revoke-device,rotate-token,list-devices,import-cases,worker}")
    worker = actions.add_parser("worker", parents=[database, jobs],
                                help="run the background work alone (scheduled jobs, the blocklist's), beside servers",
                                description="Runs the scheduled jobs (evidence retention) and the blocklist's "
                                            "background work until stopped. Any number may run beside the "
                                            "servers: each job runs in one process at a time (leases).")
    worker.add_argument("--blocklist-rules", metavar="FILE.toml", help="the centre's blocklist rules")
    worker.add_argument("--kamailio-rpc", metavar="URL", help="keep this Kamailio's blocklist in step")
    add = actions.add_parser("add-device", parents=[database], help="allow a device; prints its token once")
    add.add_argument("--agent", required=True, help="the agent's id (their agent number)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--team", help="the team (default: one team for the whole centre)")
    add.add_argument("--site", help="the site the team works at (default: one site for the whole centre)")
    add.add_argument("--covers", metavar="TEAMS", default="",
                     help="a qa device's QA scope beyond its team: more teams of its site, comma-separated, "
                          "or '*' for the whole site")
    add.add_argument("--expires", type=float, metavar="DAYS",
                     help="the token stops working after this many days (default: never)")
    revoke = actions.add_parser("revoke-device", parents=[database], help="revoke a device's token")
    revoke.add_argument("device_id")
    rotate = actions.add_parser("rotate-token", parents=[database],
                                help="give a device a new token (printed once); the old one works a while longer")
    rotate.add_argument("device_id")
    lifetime = rotate.add_mutually_exclusive_group()
    lifetime.add_argument("--expires", type=float, metavar="DAYS",
                          help="the new token's lifetime (default: as long as the old one's)")
    lifetime.add_argument("--never-expires", action="store_true", help="the new token never expires")
    rotate.add_argument("--grace-minutes", type=float, default=60, metavar="M",
                        help="the old token keeps working this long (default 60)")
    actions.add_parser("list-devices", parents=[database], help="list devices (never their tokens)")
    cases = actions.add_parser("import-cases", parents=[database],
                               help="store the complaint system's case facts per number (CSV)",
                               description="CSV columns: number, case_id, closed_at (ISO date/time; "
                                           "empty while open; no offset = UTC+8), branch_only (1/0, "
                                           "yes/no, 是/否). The whole file is checked first; one bad "
                                           "row stores nothing.")
    cases.add_argument("file", type=Path, metavar="FILE.csv")


def default_database() -> str:
    chosen = os.environ.get("HANGUP_COACH_SERVER_DATABASE")
    if chosen:
        return chosen
    home = os.environ.get("HANGUP_COACH_HOME")
    if home:
        return str(Path(home) / "data" / "server.db")
    from platformdirs import PlatformDirs
    return str(PlatformDirs("hangup-coach", "HangupCoach").user_data_path / "server.db")


def keep_private(database: str) -> None:
    """The team's calls and notes are its user's only, whatever the umask: every file and folder the
    server makes from now on (the SQLite file, its -wal and -shm, its workers' files) is 0600/0700,
    and a database file made earlier with a looser mode is made private again."""
    if os.name != "posix":
        return
    os.umask(0o077)
    if "://" in database:
        return
    path = Path(database).expanduser()
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            pass


def mask_password(database: str) -> str:
    """postgresql://user:secret@host/db → postgresql://user:***@host/db (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", database)


def main(args: argparse.Namespace) -> int:
    try:
        from sqlalchemy.exc import SQLAlchemyError

        from .storage import SchemaTooNew, Storage
    except ImportError as exc:
        print(f"hangup-coach server: the server's packages are not installed ({exc.name}); "
              "install with: pip install 'hangup-coach[server]'", file=sys.stderr)
        return 2
    database = getattr(args, "database", None) or default_database()
    keep_private(database)
    if "://" not in database:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    storage = Storage(database)
    try:
        try:
            storage.migrate()
        except (SQLAlchemyError, SchemaTooNew) as exc:
            reason = type(exc.orig).__name__ + ": " + str(exc.orig).strip() if getattr(exc, "orig", None) else exc
            print(f"hangup-coach server: cannot use the database {mask_password(database)}: {reason}",
                  file=sys.stderr)
            return 2
        command = args.server_command
        if command == "add-device":
            try:
                device, token = storage.add_device(args.agent, args.role, args.team, args.site,
                                                   covers=tuple(t.strip() for t in args.covers.split(",") if t.strip()),
                                                   expires_days=args.expires)
            except ValueError as exc:
                print(f"hangup-coach server add-device: {exc}", file=sys.stderr)
                return 2
            print(f"device {device.id}: agent {device.agent_id}, role {device.role}, team {device.team}, "
                  f"site {device.site}" + (f", covers {','.join(device.covers)}" if device.covers else "")
                  + (f", token expires in {args.expires:g} days" if args.expires else ""))
            print("token (shown only this once; give it to the device's `hangup-coach login`):")
            print(token)
            return 0
        if command == "revoke-device":
            device = storage.revoke_device(args.device_id)
            if device is None:
                print(f"hangup-coach server: no device {args.device_id}", file=sys.stderr)
                return 1
            print(f"device {device.id} (agent {device.agent_id}) revoked at {device.revoked_at}")
            return 0
        if command == "worker":
            storage.close()
            return run_worker(args, database)
        if command == "rotate-token":
            return rotate_token(storage, args)
        if command == "import-cases":
            return import_cases(storage, args.file)
        if command == "list-devices":
            for d in storage.list_devices():
                state = f"revoked {d.revoked_at}" if d.revoked_at else "active"
                print(f"{d.id}  agent {d.agent_id}  {d.role:<7}  team {d.team}  site {d.site}  "
                      f"added {d.created_at}  {state}")
            return 0
    finally:
        storage.close()
    return serve(args, database)


def jobs_env(args: argparse.Namespace) -> str | None:
    """The scheduled jobs' settings into the environment (workers' factories and the worker read
    them: domain/schedule.py); an error message for a bad one."""
    from .domain import schedule

    days = getattr(args, "evidence_days", None)
    if days is not None:
        if days <= 0:
            return "--evidence-days must be positive"
        os.environ[schedule.EVIDENCE_DAYS_ENV] = str(days)
    return None


def run_worker(args: argparse.Namespace, database: str) -> int:
    """`hangup-coach server worker`: the background work, in the foreground, until SIGTERM/SIGINT."""
    import logging.config
    import signal
    import threading

    from .api import blocklist as blocklist_api
    from .domain import schedule
    from .storage import Storage

    problem = jobs_env(args)
    if problem:
        print(f"hangup-coach server worker: {problem}", file=sys.stderr)
        return 2
    if args.blocklist_rules:
        os.environ[blocklist_api.RULES_ENV] = str(Path(args.blocklist_rules).resolve())
    if args.kamailio_rpc:
        os.environ[blocklist_api.KAMAILIO_ENV] = args.kamailio_rpc
    logging.config.dictConfig(LOG_CONFIG)          # the jobs' lines on stderr, as the server's
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    storage = Storage(database)
    try:
        _, blocklist_worker = blocklist_api.from_env(storage)
        jobs = schedule.from_env(storage)
        blocklist_worker.start()
        jobs.start()
        print(f"hangup-coach server worker: running {', '.join(j.name for j in jobs.jobs)} and the blocklist's "
              f"work for {mask_password(database)}", file=sys.stderr, flush=True)
        while not stop.wait(1):
            pass
        jobs.stop()
        blocklist_worker.stop()
    finally:
        storage.close()
    return 0


def rotate_token(storage, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from .storage import tokens

    if args.grace_minutes < 0:
        print("hangup-coach server rotate-token: --grace-minutes must not be negative", file=sys.stderr)
        return 2
    days = None if args.never_expires else tokens.KEEP if args.expires is None else args.expires
    try:
        found = tokens.rotate(storage, args.device_id, None, days, timedelta(minutes=args.grace_minutes))
    except ValueError as exc:
        print(f"hangup-coach server rotate-token: {exc}", file=sys.stderr)
        return 2
    if found is None:
        print(f"hangup-coach server: no device {args.device_id}", file=sys.stderr)
        return 1
    shown, token = found
    print(f"device {shown['device_id']} (agent {shown['agent_id']}): new token, expires "
          f"{shown['token_expires_at'] or 'never'}; the old one works until {shown['old_token_until']}")
    print("token (shown only this once; give it to the device's `hangup-coach login`):")
    print(token)
    return 0


def import_cases(storage, path: Path) -> int:
    from .domain.cases import CaseError, parse_csv

    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"hangup-coach server import-cases: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        given = parse_csv(content)
    except CaseError as exc:
        print(f"hangup-coach server import-cases: {path}, {exc}; nothing was stored", file=sys.stderr)
        return 1
    changed = storage.put_cases(given, None)
    print(f"{len(given)} case(s) read from {path}, {changed} changed; agents' cards get them on their next pull")
    return 0


def serve(args: argparse.Namespace, database: str) -> int:
    import uvicorn

    from .api.app import DATABASE_ENV
    from .api.limits import RATE_ENV

    if bool(args.tls_cert) != bool(args.tls_key):
        print("hangup-coach server: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("hangup-coach server: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and "://" not in database:
        print("hangup-coach server: note: several workers on one SQLite file take turns to write; "
              "PostgreSQL scales further", file=sys.stderr)
    os.environ[DATABASE_ENV] = database     # the workers' factory reads it (app_from_env)
    problem = jobs_env(args)
    if problem:
        print(f"hangup-coach server: {problem}", file=sys.stderr)
        return 2
    if args.no_jobs:
        from .api.app import NO_JOBS_ENV
        os.environ[NO_JOBS_ENV] = "1"
    if args.max_connections < 1:
        print("hangup-coach server: --max-connections must be at least 1", file=sys.stderr)
        return 2
    if args.device_rate is not None:
        if args.device_rate <= 0:
            print("hangup-coach server: --device-rate must be positive", file=sys.stderr)
            return 2
        os.environ[RATE_ENV] = str(args.device_rate)
    from .api import recordings as recordings_api
    if args.recording_max_mb <= 0 or args.recording_days <= 0 or args.recording_quota_mb <= 0:
        print("hangup-coach server: --recording-max-mb, --recording-days and --recording-quota-mb must be "
              "positive", file=sys.stderr)
        return 2
    if args.recordings:
        os.environ[recordings_api.FOLDER_ENV] = str(Path(args.recordings).expanduser().resolve())
    os.environ[recordings_api.MAX_BYTES_ENV] = str(int(args.recording_max_mb * 1024 * 1024))
    os.environ[recordings_api.DAYS_ENV] = str(args.recording_days)
    os.environ[recordings_api.QUOTA_BYTES_ENV] = str(int(args.recording_quota_mb * 1024 * 1024))
    from .api.blocklist import KAMAILIO_ENV, RULES_ENV, load_rules
    from ..core.blocklist import RulesError
    try:
        load_rules(args.blocklist_rules)        # a malformed file is refused here, naming the key
    except (RulesError, OSError, UnicodeDecodeError) as exc:
        print(f"hangup-coach server: blocklist rules {args.blocklist_rules or '(shipped)'}: {exc}", file=sys.stderr)
        return 2
    if args.blocklist_rules:
        os.environ[RULES_ENV] = str(Path(args.blocklist_rules).resolve())
    if args.kamailio_rpc:
        os.environ[KAMAILIO_ENV] = args.kamailio_rpc
    uvicorn.run(
        "hangup_coach.server.api.app:app_from_env", factory=True,
        host=args.host, port=args.port, workers=args.workers,
        ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key,
        proxy_headers=args.proxy_headers, forwarded_allow_ips=args.forwarded_allow_ips,
        access_log=False, log_config=LOG_CONFIG, server_header=False,
        limit_concurrency=args.max_connections,
    )
    return 0


LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(message)s"},
        "server": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "hangup_coach.server.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "hangup_coach.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
    },
}
