"""Benchmark: importing a survey export of a million rows (`hangup-coach import-feedback`).

    python tests/bench/bench_import.py [--quick]      # prints the figures as JSON

The file is what a Chinese centre's Excel writes: GBK, a Chinese header, dates as 2026/6/1 9:05,
four rows in five by call id (most unknown to the file: the survey runs ahead of the sync), one
in five by mobile number with a complaint flag. Each side runs in a fresh process so its peak
memory (ru_maxrss) is its own; the baseline is Python's csv module only reading the same file.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT = """
import resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from hangup_coach.store.db import open_db
from hangup_coach.store.feedback import import_file
db = open_db({db!r})
t = time.perf_counter()
result = import_file(db, Path({csv!r}))
print(result.rows, (time.perf_counter() - t) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

READ = """
import csv, resource, time
t = time.perf_counter()
with open({csv!r}, encoding="gb18030", newline="") as f:
    rows = sum(1 for _ in csv.reader(f)) - 1
print(rows, (time.perf_counter() - t) * 1000, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def write_export(path: Path, rows: int, call_ids: list[str]) -> None:
    rnd = random.Random(7)
    with open(path, "w", encoding="gbk", newline="") as f:
        f.write("通话编号,号码,日期,满意度,投诉\n")
        for i in range(rows):
            day = f"2026/{rnd.randint(1, 6)}/{rnd.randint(1, 28)}"
            if i % 5 == 0:
                f.write(f",138{rnd.randrange(10 ** 8):08d},{day},,是\n")
            else:
                call = call_ids[i % len(call_ids)] if i % 10 == 1 else f"survey-{i}"
                f.write(f"{call},,{day} 9:05,{rnd.randint(1, 5)},否\n")


def _child(code: str) -> tuple[int, float, float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def measure(quick: bool = False) -> dict:
    sys.path.insert(0, str(ROOT))
    from hangup_coach.store.db import open_db
    from tests.support.review_history import review_db

    rows = 200_000 if quick else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="hc-bench-import-"))
    try:
        db_path, csv_path = work / "team.db", work / "survey.csv"
        shutil.copy(review_db(20_000), db_path)
        db = open_db(db_path)
        call_ids = [r[0] for r in db.execute("SELECT id FROM calls")]
        db.conn.close()
        write_export(csv_path, rows, call_ids)
        base_rows, base_ms, base_mb = _child(READ.format(csv=str(csv_path)))
        imported, import_ms, import_mb = _child(IMPORT.format(root=str(ROOT / "desktop"), db=str(db_path),
                                                              csv=str(csv_path)))
        assert imported == base_rows == rows, (imported, base_rows, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"rows": rows, "import_ms": import_ms, "import_peak_mb": import_mb, "read_ms": base_ms,
            "read_peak_mb": base_mb}


if __name__ == "__main__":
    print(json.dumps(measure("--quick" in sys.argv), indent=1))
