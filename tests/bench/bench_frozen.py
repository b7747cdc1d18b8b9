"""Start-up of the frozen bundle against a frozen minimal PySide6 window, built the same way.

`packaging/build` builds the app's bundle and .deb; the baseline (tests/bench/minimal_window.py) is
frozen with the same spec, PyInstaller and parts of Qt left out. Both are then started alternately
(spawn → first frame painted), in the same run, with the same `run_child` as the source-install figure.
"""

from __future__ import annotations

import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(work: Path) -> dict:
    started = time.perf_counter()
    subprocess.run([str(ROOT / "packaging" / "build")], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    built_in = time.perf_counter() - started
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(work / "dist"), "--workpath", str(work / "build"),
                    str(ROOT / "packaging" / "hangup-coach.spec")],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, HANGUP_COACH_FREEZE_BASELINE=str(HERE / "minimal_window.py")))
    def newest(package: str) -> int | None:
        debs = sorted((ROOT / "dist").glob(f"{package}_*.deb"), key=lambda p: p.stat().st_mtime)
        return debs[-1].stat().st_size if debs else None

    return {"app": ROOT / "dist" / "hangup-coach" / "hangup-coach",
            "baseline": work / "dist" / "minimal-window" / "minimal-window",
            "bundle_bytes": tree_size(ROOT / "dist" / "hangup-coach"),
            "baseline_bytes": tree_size(work / "dist" / "minimal-window"),
            "deb_bytes": newest("hangup-coach"), "lead_bytes": newest("hangup-coach-lead"), "build_s": built_in}


def measure(runs: int, run_child) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hc-bench-frozen-"))
    try:
        built = build(work)
        home = work / "home"
        env = dict(os.environ, HANGUP_COACH_HOME=str(home))
        app_cmd = [str(built["app"]), "--smoke", "--db", str(home / "calls.db")]
        base_cmd = [str(built["baseline"])]
        run_child(app_cmd, env)    # creates the database; both warm the page cache
        run_child(base_cmd, env)
        base, app = [], []
        for _ in range(runs):      # alternated, like the source-install figure
            base.append(run_child(base_cmd, env))
            app.append(run_child(app_cmd, env))
        return {**built, "base": base, "app_runs": app}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def frozen_rows(row, runs: int, run_child) -> None:
    """The benchmark table's rows: frozen start-up against the frozen minimal window, and the sizes."""
    figure = "start to card shown (frozen bundle)"
    try:
        frozen = measure(runs, run_child)
    except (OSError, subprocess.CalledProcessError, RuntimeError) as exc:
        row(figure, "could not run", budget="≤ 1.5× baseline", note=f"{type(exc).__name__}: {exc}"[:120])
        return
    a_ms, b_ms = [r["shown"] for r in frozen["app_runs"]], [r["shown"] for r in frozen["base"]]
    a, b = statistics.median(a_ms), statistics.median(b_ms)
    row(figure, f"{a:.0f} ms ({min(a_ms):.0f}–{max(a_ms):.0f})",
        f"{b:.0f} ms ({min(b_ms):.0f}–{max(b_ms):.0f}), frozen minimal window", f"{a / b:.2f}×",
        "≤ 1.5× baseline", a / b <= 1.5,
        f"spawn → first frame painted, {runs} runs each; packaging/build took {frozen['build_s']:.0f} s")
    mib, deb, lead = 2 ** 20, frozen["deb_bytes"], frozen["lead_bytes"]
    row("size of the agent's package (hangup-coach .deb)", f"{deb / 1e6:.1f} MB ({deb / mib:.1f} MiB)" if deb else "no .deb",
        budget="≤ 50 MB", ok=deb is not None and deb <= 50e6,
        note="no numpy, pyqtgraph, Qt Multimedia, server libraries or cryptography; Debian's own libraries are "
             "Depends; xz")
    row("size of the lead/QA package (hangup-coach-lead .deb)", f"{lead / 1e6:.1f} MB ({lead / mib:.1f} MiB)"
        if lead else "no .deb", note="added to the agent's: pyqtgraph, numpy + OpenBLAS (Qt Multimedia when installed)")
    row("size of the frozen bundle (agent + lead parts)", f"{frozen['bundle_bytes'] / mib:.0f} MiB",
        f"{frozen['baseline_bytes'] / mib:.0f} MiB (frozen minimal window)", note="one-folder PyInstaller bundle")
