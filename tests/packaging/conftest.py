"""One `packaging/build` per test run, shared by the packaging tests (-m packaging)."""

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def run(cmd, home=None, timeout=180, env=None, **kw):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    if home is not None:
        env["HANGUP_COACH_HOME"] = str(home)   # never the real profile, never a real /etc file
    return subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout, **kw)


def ok(result):
    assert result.returncode == 0, f"{result.args}: rc {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="session")
def built():
    """packaging/build from this checkout: the bundle (everything) and the three .debs in dist/."""
    dist = ROOT / "dist"
    if not os.environ.get("HANGUP_COACH_REUSE_BUILD"):   # (set: test dist/ as the last build left it)
        ok(run([ROOT / "packaging" / "build"], timeout=1200, cwd=ROOT))
    arch = ok(run(["dpkg", "--print-architecture"])).stdout.strip()
    return {"bundle": dist / "hangup-coach", "deb": dist / f"hangup-coach_{VERSION}_{arch}.deb",
            "lead": dist / f"hangup-coach-lead_{VERSION}_{arch}.deb",
            "autostart": dist / f"hangup-coach-autostart_{VERSION}_all.deb"}
