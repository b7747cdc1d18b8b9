"""A real desktop session for the card: Xvfb (display chosen by the server), the openbox window
manager, a stand-in CRM window holding the keyboard, and the real app, driven with xdotool.

Everything is started here and stopped at the end of each test; nothing is skipped.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).parent
SCREEN = "1280x800x24"


def wait_for(check, timeout=60.0, what="condition"):   # generous: 2 cores shared by many builds
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")   # a callable says what it saw


class Lines:
    """The stdout of a child process, line by line, read on a thread."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.lines, self._q = proc, [], queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line.rstrip("\n"))

    def drain(self) -> list[str]:
        while True:
            try:
                self.lines.append(self._q.get_nowait())
            except queue.Empty:
                return self.lines


def x_server_command(kind: str, screen: str, fd: int) -> list[str]:
    """Xvfb, or Xvnc (tigervnc) where a test resizes the screen: Debian's Xvfb cannot (no RandR
    sizes). Xvnc listens on no port (-rfbport -1) and asks for no password on a server nobody reaches."""
    size, depth = screen.rsplit("x", 1)
    if kind == "xvnc":
        return ["Xvnc", "-displayfd", str(fd), "-geometry", size, "-depth", depth, "-rfbport", "-1",
                "-SecurityTypes", "None", "-nolisten", "tcp"]
    return ["Xvfb", "-displayfd", str(fd), "-screen", "0", screen, "-nolisten", "tcp"]


class Desktop:
    def __init__(self, tmp: Path, server: str = "xvfb", screen: str = SCREEN) -> None:
        self.tmp, self.server, self.screen = tmp, server, screen
        self.procs: list[subprocess.Popen] = []
        # The machine is shared: another build's X server can come and go beside this one. If the
        # window manager cannot reach this server, start both again (the failure is kept).
        failures = []
        for _attempt in range(3):
            problem = self._start_x()
            if problem is None:
                return
            failures.append(problem)
            self.stop()
            self.procs.clear()
        raise AssertionError("no X server with a window manager: " + " | ".join(failures))

    def _start_x(self) -> str | None:
        read, write = os.pipe()
        log = self.tmp / "x.log"
        with open(log, "w") as out:
            xvfb = subprocess.Popen(x_server_command(self.server, self.screen, write),
                                    pass_fds=(write,), stdout=out, stderr=subprocess.STDOUT)
            os.close(write)
            self.procs.append(xvfb)
            with os.fdopen(read) as f:
                number = f.readline().strip()
            if not number:
                return f"Xvfb did not start: {log.read_text()}"
            self.env = dict(os.environ, DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb",
                            HANGUP_COACH_HOME=str(self.tmp / "home"), LANG="en_US.UTF-8")
            self.env.pop("WAYLAND_DISPLAY", None)
            openbox = self.start(["openbox", "--sm-disable"], stdout=out, stderr=subprocess.STDOUT)

        def wm_running():
            return openbox.poll() is not None or "Openbox" in self.wm_name()
        wait_for(wm_running, what="openbox")
        return f"openbox exited on :{number}: {log.read_text()}" if openbox.poll() is not None else None

    def start(self, argv, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(argv, env=self.env, **kw)
        self.procs.append(proc)
        return proc

    def xdotool(self, *args: str) -> str:
        return subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True,
                              timeout=20).stdout.strip()

    def x_query(self, *args: str) -> str:
        """Ask the X server (x_query.py, in a process of its own)."""
        result = subprocess.run([sys.executable, str(HERE / "x_query.py"), *args], env=self.env,
                                capture_output=True, text=True, timeout=30)
        return result.stdout.strip() if result.returncode == 0 else ""

    def wm_name(self) -> str:
        """The window manager's name (on its _NET_SUPPORTING_WM_CHECK window), "" until it runs."""
        return self.x_query("wm-name")

    def resize_screen(self, width: int, height: int) -> None:
        """Change the screen's resolution through RandR, as a display settings panel does."""
        self.x_query("resize", str(width), str(height))

    def stacking(self) -> list[int]:
        """The managed windows, bottom to top."""
        return [int(w) for w in self.x_query("stacking").split()]

    def frame(self, window: int) -> tuple[int, int, int, int] | None:
        """The window manager's frame of `window`: x, y, width, height in device pixels."""
        parts = self.x_query("frame", str(window)).split()
        return tuple(int(p) for p in parts) if len(parts) == 4 else None

    def active_window(self) -> int:
        out = self.xdotool("getactivewindow")
        return int(out) if out.isdigit() else 0

    def click(self, x: int, y: int) -> None:
        self.xdotool("mousemove", "--sync", str(x), str(y))
        self.xdotool("click", "1")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


class Crm:
    def __init__(self, desktop: Desktop) -> None:
        self.proc = desktop.start([sys.executable, str(HERE / "crm_window.py")], stdout=subprocess.PIPE, text=True)
        self.out = Lines(self.proc)
        line = wait_for(lambda: next((l for l in self.out.drain() if l.startswith("ready ")), None), what="CRM window")
        self.window = int(line.split()[1])
        wait_for(lambda: desktop.active_window() == self.window, what="the CRM to have the keyboard")

    @property
    def text(self) -> str:
        texts = [l[5:] for l in self.out.drain() if l.startswith("text ")]
        return texts[-1] if texts else ""

    @property
    def keys(self) -> list[str]:
        """Every key press the CRM's field received, as "<Qt key> <modifiers>"."""
        return [l[4:] for l in self.out.drain() if l.startswith("key ")]

    @property
    def keys_beyond_modifiers(self) -> list[str]:
        """The keys the CRM received other than Shift/Ctrl/Alt/Meta alone (a chord's modifiers
        always reach the focused window: only the chord's own key is grabbed)."""
        modifiers = {str(code) for code in range(0x01000020, 0x01000024)}
        return [k for k in self.keys if k.split()[0] not in modifiers]


class App:
    def __init__(self, desktop: Desktop, args: list[str], env: dict | None = None,
                 agent_number: str | None = "7001") -> None:
        """`agent_number` goes into the agent's settings first (None: a first run, the card asks)."""
        self.desktop = desktop
        settings = desktop.tmp / "home" / "config" / "settings.ini"
        if agent_number is not None and "agent_id=" not in (settings.read_text() if settings.exists() else ""):
            settings.parent.mkdir(parents=True, exist_ok=True)
            with settings.open("a", encoding="utf-8") as f:
                f.write(f"\n[General]\nagent_id={agent_number}\n")
        self.db = desktop.tmp / "calls.db"
        self.probe = desktop.tmp / "probe.json"
        env = dict(env or desktop.env, HANGUP_COACH_PROBE=str(self.probe))
        self.scale = float(env.get("QT_SCALE_FACTOR", "1"))   # the probe reports logical pixels
        self.proc = subprocess.Popen([sys.executable, str(HERE / "app_probe.py"), *args, "--db", str(self.db)],
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        desktop.procs.append(self.proc)
        self.out = Lines(self.proc)
        wait_for(lambda: self.state().get("card_visible") and self.db.exists(), what="the card")

    def state(self) -> dict:
        try:
            return json.loads(self.probe.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def say(self, line: str) -> None:
        """A line on the app's stdin (`demo --by-hand` reads the customer's side there)."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def widget(self, name: str) -> dict:
        return self.state()["widgets"][name]

    def click(self, name: str) -> None:
        x, y, w, h = wait_for(lambda: self.widget(name)["visible"] and self.widget(name)["rect"], what=f"{name} shown")
        self.desktop.click(round((x + w / 2) * self.scale), round((y + h / 2) * self.scale))

    def rows(self, sql: str) -> list[dict]:
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql)]
        finally:
            conn.close()


