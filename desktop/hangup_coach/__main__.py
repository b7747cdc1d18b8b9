"""`hangup-coach` / `python -m hangup_coach`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .app.cli import parse_args

    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "calls":
        from .launch.main import list_calls
        return list_calls(args)
    from .launch.main import run_card
    return run_card(args)


if __name__ == "__main__":
    sys.exit(main())
