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
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_or_qt_in_core_breaks_the_contracts(tmp_path):
    copy = tmp_path / "hangup_coach"
    shutil.copytree(ROOT / "desktop" / "hangup_coach", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "core" / "policy.py", "a", encoding="utf-8") as f:
        f.write("\nfrom PySide6 import QtCore  # noqa\n")
    with open(copy / "store" / "calls.py", "a", encoding="utf-8") as f:
        f.write("\nfrom ..app import controller  # noqa\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert "0 kept, 2 broken" in result.stdout, result.stdout
