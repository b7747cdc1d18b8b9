"""`./dev setup` on a machine where another apt-get holds the package manager's lock: it waits."""

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKED = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def fake_machine(tmp_path: Path, locked_calls: int) -> dict:
    """PATH with a dpkg-query that reports every package missing and an apt-get that finds the lock
    held for its first `locked_calls` calls; the venv is stamped as installed (no pip here)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "dpkg-query": "exit 1",
        "apt-get": f'echo "$*" >> {tmp_path}/apt-calls\n'
                   f'n=$(wc -l < {tmp_path}/apt-calls)\n'
                   f'if [ "$n" -le {locked_calls} ]; then echo "{LOCKED}" >&2; exit 100; fi\necho apt-get done',
        "sleep": "exit 0",   # the wait between tries, without waiting in the test
        "sudo": 'exec "$@"',
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    venv = tmp_path / "venv"
    venv.mkdir()
    stamp = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    (venv / f".installed-{stamp}").touch()
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", HANGUP_COACH_VENV=str(venv))


def test_setup_waits_for_the_package_managers_lock_and_says_so(tmp_path):
    env = fake_machine(tmp_path, locked_calls=3)
    result = subprocess.run([str(ROOT / "dev"), "setup"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("waiting for it") == 1   # said once, not on every try
    calls = (tmp_path / "apt-calls").read_text().splitlines()
    assert len(calls) == 5 and calls[3].split()[-2:] == ["update", "-qq"] and "install" in calls[4]
    assert all("DPkg::Lock::Timeout=" in c for c in calls)   # dpkg's own lock is waited for by apt


def test_setup_gives_up_after_the_wait_with_apts_message(tmp_path):
    env = dict(fake_machine(tmp_path, locked_calls=1000), HANGUP_COACH_APT_LOCK_WAIT="0")
    result = subprocess.run([str(ROOT / "dev"), "setup"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert LOCKED in result.stderr
