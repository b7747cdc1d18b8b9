"""The accessibility tree as a screen reader sees it: a private D-Bus session bus, the AT-SPI bus
it activates (Debian's at-spi2-core), and a reader in pure Python (jeepney) that walks the tree.

Qt joins the tree only on xcb and only with QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 once the AT-SPI
bus is up (docs: shared reference "qt-multimedia-and-atspi", part B); `app_env` gives both.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from jeepney import DBusAddress, Properties, new_method_call
from jeepney.io.blocking import open_dbus_connection

SHOWING = 25          # AtspiStateType: ATSPI_STATE_SHOWING (bit in the first word of GetState)
FOCUSED = 12          # ATSPI_STATE_FOCUSED
SENSITIVE = 24        # ATSPI_STATE_SENSITIVE (not disabled)
LABELLED_BY = 2       # AtspiRelationType: ATSPI_RELATION_LABELLED_BY
TIMEOUT = 20


class AccessibilityBus:
    def __init__(self, env: dict, tmp: Path) -> None:
        runtime = tmp / "xdg-runtime"
        runtime.mkdir(mode=0o700)
        self.env = dict(env, XDG_RUNTIME_DIR=str(runtime))
        out = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                             env=self.env, capture_output=True, text=True, timeout=TIMEOUT, check=True).stdout
        address, pid = out.split("\n")[:2]
        self.daemon = int(pid)
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address.strip()
        session = open_dbus_connection(bus=address.strip())
        try:   # activates at-spi-bus-launcher (and its own bus) before the app starts
            call = new_method_call(DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus"),
                                   "GetAddress")
            self._a11y_address = session.send_and_get_reply(call, timeout=TIMEOUT).body[0]
        finally:
            session.close()
        self.reader = open_dbus_connection(bus=self._a11y_address)

    def app_env(self) -> dict:
        return dict(self.env, QT_LINUX_ACCESSIBILITY_ALWAYS_ON="1")

    # ----- reading the tree ------------------------------------------------------------------------
    def _call(self, bus: str, path: str, method: str, interface: str = "org.a11y.atspi.Accessible"):
        msg = new_method_call(DBusAddress(path, bus_name=bus, interface=interface), method)
        return self.reader.send_and_get_reply(msg, timeout=TIMEOUT).body

    def _property(self, bus: str, path: str, name: str):
        addr = DBusAddress(path, bus_name=bus, interface="org.a11y.atspi.Accessible")
        return self.reader.send_and_get_reply(Properties(addr).get(name), timeout=TIMEOUT).body[0][1]

    def applications(self) -> dict[str, tuple[str, str]]:
        apps = {}
        for bus, path in self._call("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root", "GetChildren")[0]:
            try:
                apps[self._property(bus, path, "Name")] = (bus, path)
            except Exception:   # an application that left meanwhile
                continue
        return apps

    def nodes(self, app_name: str, window: str | None = None) -> list[dict]:
        """Every accessible of the application (or of its top-level window named `window`): role,
        name, description, showing, focused, sensitive, the names of its labels (labelled-by), path."""
        bus, path = self.applications()[app_name]
        todo = [path]
        if window is not None:
            todo = [child for _bus, child in self._call(bus, path, "GetChildren")[0]
                    if self._property(bus, child, "Name") == window]
        found = []
        while todo:
            path = todo.pop()
            states = self._call(bus, path, "GetState")[0]
            labels = [self._property(bus, target, "Name")
                      for kind, targets in self._call(bus, path, "GetRelationSet")[0] if kind == LABELLED_BY
                      for _bus, target in targets]
            found.append({"role": self._call(bus, path, "GetRoleName")[0], "name": self._property(bus, path, "Name"),
                          "description": self._property(bus, path, "Description"),
                          "showing": bool(states[0] & (1 << SHOWING)), "focused": bool(states[0] & (1 << FOCUSED)),
                          "sensitive": bool(states[0] & (1 << SENSITIVE)), "labels": labels, "path": path})
            todo.extend(child_path for _bus, child_path in self._call(bus, path, "GetChildren")[0])
        return found

    def stop(self) -> None:
        """Stop the session bus and the daemons it activated (found as its children), by PID."""
        self.reader.close()
        children = _descendants(self.daemon)
        for pid in [self.daemon, *children]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        out.extend(kids)
        todo.extend(kids)
    return out
