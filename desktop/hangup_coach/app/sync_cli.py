"""`hangup-coach login --server URL` and `hangup-coach sync --once`."""

from __future__ import annotations

import argparse
import getpass
import sys

from .paths import AppPaths

EXIT_UNAVAILABLE, EXIT_REFUSED = 1, 2


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    login = sub.add_parser("login", parents=[common], help="connect this card to the centre's sync server")
    login.add_argument("--server", metavar="URL",
                       help="e.g. https://sync.example:8443 (default: server_url of the machine-wide settings)")
    login.add_argument("--token-file", metavar="FILE",
                       help="read the token from FILE, which only its owner may read (unattended enrolment by IT)")
    login.add_argument("--insecure", action="store_true",
                       help="allow http:// to a server other than this computer (the token travels unencrypted)")
    login.add_argument("--timeout", type=float, default=10.0, help=argparse.SUPPRESS)
    sync = sub.add_parser("sync", parents=[common], help="push and pull once, and say what was done")
    sync.add_argument("--once", action="store_true", required=True, help="one round (the card syncs by itself)")
    sync.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per request (default 10)")
    sync.add_argument("--retry-for", type=float, default=60.0, metavar="S",
                      help="keep retrying an unreachable server this long (default 60; 0 = once)")


def login(args: argparse.Namespace) -> int:
    from ..sync.client import AuthRefused, SyncClient, SyncFailure
    from ..sync.credentials import Credentials

    paths = AppPaths.detect()
    server = (args.server or _settings_server(paths) or "").strip().rstrip("/")
    if not server:
        print("hangup-coach: no server given: add --server URL (or set server_url in "
              f"{paths.machine_settings_file})", file=sys.stderr)
        return EXIT_REFUSED
    if not server.startswith(("http://", "https://")):
        print("hangup-coach: --server must start with http:// or https:// (or set server_url in "
              f"{paths.machine_settings_file})", file=sys.stderr)
        return EXIT_REFUSED
    if server.startswith("http://") and not _loopback(server) and not args.insecure:
        print("hangup-coach: http:// would send the device token and the calls unencrypted over the "
              "network; use https://, or add --insecure if this network is private", file=sys.stderr)
        return EXIT_REFUSED
    if args.token_file:
        try:
            token = read_token_file(args.token_file)
        except (OSError, ValueError) as exc:
            print(f"hangup-coach: {exc}; nothing was saved", file=sys.stderr)
            return EXIT_REFUSED
    elif sys.stdin.isatty():
        token = getpass.getpass("Device token (from your team lead): ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        print("hangup-coach: no token given", file=sys.stderr)
        return EXIT_REFUSED
    try:
        with SyncClient(server, token, timeout=args.timeout) as client:
            me = client.me()
    except AuthRefused as exc:
        print(f"hangup-coach: the server refused this token ({exc}); nothing was saved", file=sys.stderr)
        return EXIT_REFUSED
    except SyncFailure as exc:
        print(f"hangup-coach: cannot check the token: {exc}; nothing was saved", file=sys.stderr)
        return EXIT_UNAVAILABLE
    saved = Credentials(paths.config).save(server, token)
    from .settings import Settings   # the card's agent number is the device's on the server
    Settings(paths.settings_file, machine=paths.machine_settings_file).set("agent_id", str(me["agent_id"]))
    where = "the system keyring" if saved.where == "keyring" else f"{saved.where} (readable by you only)"
    print(f"logged in to {server} as agent {me['agent_id']} ({me['role']}, team {me.get('team') or '-'});"
          f" token kept in {where}")
    return 0


def _loopback(url: str) -> bool:
    """The URL's host is this computer (localhost, 127.0.0.0/8, ::1)."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token_file(name: str) -> str:
    """The token IT provisioned for this user: the file's first line. A file that others can read is
    refused (its token may have been seen: ask for a new one), as ssh does with a private key."""
    import os
    import stat

    with open(name, encoding="utf-8") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if os.name == "posix" and mode & 0o077:
            raise ValueError(f"token file {name} can be read by others (mode {mode:04o}); "
                             f"it must be readable by its owner only (chmod 600)")
        return f.readline()


def _settings_server(paths: AppPaths) -> str:
    """server_url from the settings (IT's machine-wide file, or the agent's): enrolment then needs
    only the token file."""
    from .settings import Settings
    return Settings(paths.settings_file, machine=paths.machine_settings_file).get("server_url")


def sync_once(args: argparse.Namespace) -> int:
    from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_random_exponential

    from ..store import outbox
    from ..store.db import StoreError, open_db
    from ..sync.client import AuthRefused, SyncClient, SyncFailure, Unavailable
    from ..sync.credentials import Credentials
    from ..sync.engine import Syncer
    from .recording_upload import uploader

    paths = AppPaths.detect()
    saved = Credentials(paths.config).load()
    if saved is None:
        print("hangup-coach: not logged in; run: hangup-coach login --server URL", file=sys.stderr)
        return EXIT_REFUSED
    try:
        db = open_db(paths.database(args.db))
    except StoreError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    retrying = Retrying(retry=retry_if_exception_type(Unavailable), stop=stop_after_delay(args.retry_for),
                        wait=wait_random_exponential(multiplier=0.5, max=10), reraise=True)
    try:
        with SyncClient(saved.server, saved.token, timeout=args.timeout) as client:
            report = retrying(Syncer(db, client).round)
            uploads = uploader(paths)(lambda: db, client)   # where the centre turned it on
    except AuthRefused as exc:
        print(f"hangup-coach: {exc}; log in again", file=sys.stderr)
        return EXIT_REFUSED
    except SyncFailure as exc:
        print(f"hangup-coach: sync failed: {exc}; {outbox.pending_count(db)} pending, kept locally",
              file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        db.conn.close()
    print(f"{saved.server}: {report.summary()}")
    for line in report.refused:
        print(f"  refused: {line}")
    for line in report.held:
        print(f"  kept until an upgrade: {line}")
    if uploads is not None:
        print(uploads.summary())
        for line in uploads.refused:
            print(f"  refused: {line}")
    return 0


