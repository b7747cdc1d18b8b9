"""`hangup-coach` / `python -m hangup_coach`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .app.cli import parse_args

    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command in ("report", "dashboard", "import-feedback"):
        from .launch.reports import run
        return run(args)
    if args.command == "server":
        from .server.cli import main as server_main
        return server_main(args)
    if args.command == "recover":
        from .app.recover_cli import run as recover
        return recover(args)
    if args.command == "calls":
        from .launch.main import list_calls
        return list_calls(args)
    if args.command == "qa":
        if args.qa_command in ("review", "setup"):
            from .launch import qa
            return qa.run_review(args) if args.qa_command == "review" else qa.run_setup(args)
        if args.qa_command == "sheet" and args.show:
            from .launch import qa
            return qa.run_sheet(args)
        from .app.qa_cli import run
        return run(args)
    if args.command in ("login", "sync"):
        from .app import sync_cli
        return sync_cli.login(args) if args.command == "login" else sync_cli.sync_once(args)
    if args.command == "blocklist":
        from .app import blocklist_cli
        return blocklist_cli.main(args)
    from .launch.main import run_card
    return run_card(args)


if __name__ == "__main__":
    sys.exit(main())
