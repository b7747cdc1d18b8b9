"""Smoke test of what IT rolls out: `packaging/build`, the frozen bundle, the .deb installed and removed.

    ./dev test -m packaging        (root: it runs dpkg; about three minutes, most of it the build)

Not part of the plain `./dev test` (pyproject deselects the marker); `.ci/run` runs it on its own.
"""

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

from .conftest import ROOT, VERSION, ok, run

PACKAGE_PATHS = [Path("/opt/hangup-coach"), Path("/usr/bin/hangup-coach"), Path("/usr/bin/hangup-coach-cli"),
                 Path("/usr/share/applications/hangup-coach.desktop"),
                 Path("/usr/share/icons/hicolor/scalable/apps/hangup-coach.svg")]
AUTOSTART = Path("/etc/xdg/autostart/hangup-coach.desktop")


def test_frozen_version(built):
    exe = built["bundle"] / "hangup-coach"
    assert ok(run([exe, "--version"])).stdout.strip() == f"hangup-coach {VERSION}"
    # the resources travel inside the bundle, where importlib.resources finds them
    data = built["bundle"] / "_internal" / "hangup_coach" / "resources"
    assert {p.relative_to(data).as_posix() for p in data.rglob("*.toml")} >= {
        "policy.toml", "scripts/zh_CN.toml", "scripts/en.toml", "translations/zh_CN.toml",
        "translations/en.toml", "demo/shift.toml"}


def test_frozen_demo_shift_records_the_calls(built, tmp_path):
    exe = built["bundle"] / "hangup-coach"
    db = tmp_path / "demo.db"
    result = ok(run([exe, "demo", "--speed", "50", "--exit-when-done", "--db", db], tmp_path, cwd=tmp_path))
    assert "演示结束：共 9 通电话" in result.stdout or "Demo finished: 9 calls" in result.stdout
    conn = sqlite3.connect(db)
    try:
        played = conn.execute("SELECT count(*), count(DISTINCT caller_class) FROM calls"
                              " WHERE id NOT LIKE 'seed-%' AND wrapped_up_at IS NOT NULL").fetchone()
    finally:
        conn.close()
    assert played == (9, 4)   # nine calls, every class (regular, no_value, non_regular, unknown)
    listing = ok(run([exe, "calls", "--db", db], tmp_path)).stdout
    assert "12 call(s)" in listing and "138****8000" in listing and "13800138000" not in listing
    # the lead's report and its charts: pyqtgraph and numpy (whose OpenBLAS a strip once broke)
    charts = tmp_path / "charts"
    report = ok(run([exe, "report", "--db", db, "--png", charts], tmp_path)).stdout
    assert "12" in report
    pngs = sorted(p.name for p in charts.glob("*.png"))
    assert pngs == ["dashboard-classes.png", "dashboard-explanations.png", "dashboard-grace.png", "dashboard-share.png"]
    assert all((charts / p).read_bytes().startswith(b"\x89PNG") and (charts / p).stat().st_size > 5000 for p in pngs)


def test_frozen_card_reads_the_machine_wide_folder(built, tmp_path):
    exe, machine = built["bundle"] / "hangup-coach", tmp_path / "machine"
    machine.mkdir()
    (machine / "settings.ini").write_text("[General]\nlanguage=en\n", encoding="utf-8")
    ok(run([exe, "--smoke"], tmp_path, env={"HANGUP_COACH_MACHINE_CONFIG": str(machine)}))
    log = (tmp_path / "logs" / "hangup-coach.log").read_text(encoding="utf-8")
    assert "language en, softphone manual" in log
    assert "no Qt translation" not in log   # English needs none: no warning on every English start
    (machine / "policy.toml").write_text("not = [a policy\n", encoding="utf-8")
    refused = run([exe, "--smoke"], tmp_path, env={"HANGUP_COACH_MACHINE_CONFIG": str(machine)})
    assert refused.returncode == 2 and str(machine / "policy.toml") in refused.stderr


def test_frozen_bundle_leaves_out_unused_qt(built):
    names = {p.name for p in (built["bundle"] / "_internal").rglob("*")}
    assert not {n for n in names if n.startswith(("libQt6WebEngine", "libQt63D", "libqgtk3", "libgtk-3",
                                                    "libqtvirtualkeyboard"))}
    # (Qt Multimedia, and the Quick and QML its FFmpeg plugin links, are the lead package's: test_debs.py)
    assert {"libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqsvg.so"} <= names   # what it does use
    qm = sorted(p.name for p in (built["bundle"] / "_internal").rglob("*.qm"))
    assert qm == ["qtbase_zh_CN.qm"]   # Qt's own Save/Cancel in Chinese, and no other Qt translation


def dpkg_state(package):
    result = run(["dpkg-query", "-W", "-f=${Status}", package])
    return result.stdout if result.returncode == 0 else "not-installed"


def test_deb_installs_runs_upgrades_and_removes_cleanly(built, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("dpkg -i needs root (CI runs as root)")
    assert "ok installed" not in dpkg_state("hangup-coach"), "hangup-coach is already installed here"
    assert not any(p.exists() for p in PACKAGE_PATHS), "leftovers of an earlier install"
    upgrade = repackaged(built["deb"], f"{VERSION}+smoke1", tmp_path)
    autostart_upgrade = repackaged(built["autostart"], f"{VERSION}+smoke1", tmp_path)
    lead_upgrade = repackaged(built["lead"], f"{VERSION}+smoke1", tmp_path, depends=True)
    home = tmp_path / "agent"
    lead_parts = Path("/opt/hangup-coach/_internal/numpy")
    try:
        ok(run(["dpkg", "-i", built["deb"]]))
        assert dpkg_state("hangup-coach") == "install ok installed"
        assert shutil.which("hangup-coach") == "/usr/bin/hangup-coach"
        assert ok(run(["hangup-coach", "--version"])).stdout.strip() == f"hangup-coach {VERSION}"
        ok(run(["hangup-coach-cli", "--version"]))
        # the installed card starts on a real X server too (Xvfb: the bundle's xcb plugin, the system's X libs)
        shown = ok(run(["xvfb-run", "-a", "hangup-coach", "--smoke"], home, env={"QT_QPA_PLATFORM": "xcb"}))
        assert "card shown at" in shown.stdout
        user_db = home / "data" / "calls.db"
        before = user_db.read_bytes()
        assert before.startswith(b"SQLite format 3")
        # the agent's package alone: no charts, and the lead's tools say which package brings them
        assert not lead_parts.exists()
        refused = run(["hangup-coach", "dashboard", "--db", user_db], home)
        assert refused.returncode == 2 and "hangup-coach-lead" in refused.stderr

        ok(run(["dpkg", "-i", built["lead"]]))   # a team lead's machine: the charts draw
        charts, copy = tmp_path / "charts", tmp_path / "copy.db"
        shutil.copy(user_db, copy)   # (a report keeps per-day tallies in the file it reads)
        ok(run(["hangup-coach", "report", "--db", copy, "--png", charts], home))
        assert len(list(charts.glob("*.png"))) == 4 and lead_parts.is_dir()

        ok(run(["dpkg", "-i", built["autostart"]]))
        assert AUTOSTART.is_file()
        AUTOSTART.write_text(AUTOSTART.read_text() + "X-IT-Edited=true\n")   # IT changes the entry...
        ok(run(["dpkg", "-i", upgrade, lead_upgrade, autostart_upgrade]))   # an upgrade: per-user data untouched
        assert "X-IT-Edited=true" in AUTOSTART.read_text()     # ...and the upgrade keeps it (a conffile)
        assert ok(run(["hangup-coach", "--version"])).stdout.strip() == f"hangup-coach {VERSION}"
        assert dpkg_state("hangup-coach") == "install ok installed"
        assert user_db.read_bytes() == before
    finally:
        run(["dpkg", "-P", "hangup-coach-autostart", "hangup-coach-lead", "hangup-coach"])
    assert dpkg_state("hangup-coach") != "install ok installed"
    assert not [p for p in PACKAGE_PATHS + [AUTOSTART] if p.exists() or p.is_symlink()]
    assert not list(Path("/opt").glob("hangup-coach*"))   # nothing left under /opt
    assert user_db.read_bytes() == before                 # removal keeps the agent's calls and notes


def repackaged(deb: Path, version: str, tmp_path: Path, depends: bool = False) -> Path:
    """The same package under a later version number, so dpkg performs a real upgrade (`depends`:
    and on the same later version of hangup-coach, as the lead package is)."""
    tree = tmp_path / f"tree-{deb.name}"
    ok(run(["dpkg-deb", "-R", deb, tree]))
    control = tree / "DEBIAN" / "control"
    text = control.read_text().replace(f"Version: {VERSION}\n", f"Version: {version}\n")
    if depends:
        text = text.replace(f"hangup-coach (= {VERSION})", f"hangup-coach (= {version})")
    control.write_text(text)
    out = tmp_path / f"{deb.name.split('_')[0]}_{version}.deb"
    ok(run(["dpkg-deb", "--root-owner-group", "-Znone", "--build", tree, out]))
    shutil.rmtree(tree)
    return out
