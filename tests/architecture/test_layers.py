"""The layers of DESIGN.md are enforced: import-linter's contracts (.importlinter) must hold."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
        "--config", str(ROOT / ".importlinter"), "--no-cache"]


def lint(package_parent: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(package_parent))
    return subprocess.run(LINT, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_and_the_pure_core_hold():
    result = lint(ROOT / "desktop")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_an_upward_import_or_qt_in_core_breaks_the_contracts(tmp_path):
    copy = tmp_path / "hangup_coach"
    shutil.copytree(ROOT / "desktop" / "hangup_coach", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "core" / "policy.py", "a", encoding="utf-8") as f:
        f.write("\nfrom PySide6 import QtCore  # noqa\n")
    with open(copy / "store" / "calls.py", "a", encoding="utf-8") as f:
        f.write("\nfrom ..app import controller  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    # the server uses core's pure rules (the blocklist's), so Qt in core breaks its contract too
    assert "1 kept, 3 broken" in result.stdout, result.stdout
    assert "hangup_coach.core.policy -> PySide6" in result.stdout, result.stdout


def test_the_server_and_the_cards_sync_share_only_the_wire_format(tmp_path):
    copy = tmp_path / "hangup_coach"
    shutil.copytree(ROOT / "desktop" / "hangup_coach", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "server" / "api" / "app.py", "a", encoding="utf-8") as f:
        f.write("\nfrom ...sync import client  # noqa\n")        # the server reaching into the card's sync/
    with open(copy / "server" / "storage" / "store.py", "a", encoding="utf-8") as f:
        f.write("\nfrom ..api import app  # noqa\n")             # storage reaching up into the API
    with open(copy / "server" / "domain" / "cases.py", "a", encoding="utf-8") as f:
        f.write("\nfrom ...store import db  # noqa\n")           # the card's local store
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "1 kept, 3 broken" in result.stdout, result.stdout
    assert "hangup_coach.server.api.app -> hangup_coach.sync.client" in result.stdout, result.stdout
