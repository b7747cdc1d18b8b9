"""Wayland: system-wide keys through the XDG desktop portal, org.freedesktop.portal.GlobalShortcuts.

No Wayland client may grab keys; the portal asks the compositor to bind them (the user confirms
in the desktop's own dialog) and sends `Activated` when one is pressed. The calls are
asynchronous: each returns a Request object whose `Response` signal carries the result.
D-Bus goes through jeepney on the session bus's socket, read on the GUI thread only when it has
data (QSocketNotifier); nothing waits for the desktop. Where the portal or the interface is
missing, `unavailable` is emitted and the card says its keys work only while it is active.
"""

from __future__ import annotations

import logging
import secrets

from PySide6.QtCore import QSocketNotifier
from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, message_bus, new_method_call
from jeepney.io.blocking import open_dbus_connection

from .hotkeys import SystemHotkeys, key_parts, keysym_name

log = logging.getLogger(__name__)

PORTAL = DBusAddress("/org/freedesktop/portal/desktop", bus_name="org.freedesktop.portal.Desktop",
                     interface="org.freedesktop.portal.GlobalShortcuts")
MODIFIERS = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "meta": "LOGO"}


def portal_trigger(text: str) -> str | None:
    """"Ctrl+Alt+E" → "CTRL+ALT+e" (the XDG shortcuts format: modifiers, then a keysym name)."""
    parts = key_parts(text)
    if parts is None or not parts[0] <= MODIFIERS.keys():
        return None
    mods, key = parts
    order = [m for m in ("ctrl", "alt", "shift", "meta") if m in mods]
    return "+".join([MODIFIERS[m] for m in order] + [keysym_name(key)])


class PortalHotkeys(SystemHotkeys):
    def __init__(self, connection, descriptions: dict[str, str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self._conn = connection
        self.descriptions = descriptions or {}
        self._session: str | None = None
        self._keys: dict[str, str] = {}
        self._waiting: dict[str, object] = {}      # request object path → what to do with its Response
        self._calls: dict[int, str] = {}           # serial of a method call → its name (for errors)
        self._sender = connection.unique_name[1:].replace(".", "_")
        self._notifier = QSocketNotifier(connection.sock.fileno(), QSocketNotifier.Read, self)
        self._notifier.activated.connect(self._read)
        for rule in (MatchRule(type="signal", interface="org.freedesktop.portal.Request", member="Response"),
                     MatchRule(type="signal", interface=PORTAL.interface, member="Activated")):
            self._send(message_bus.AddMatch(rule), "AddMatch")

    @classmethod
    def on_session_bus(cls) -> "PortalHotkeys":
        return cls(open_dbus_connection(bus="SESSION"))

    # ----- SystemHotkeys ---------------------------------------------------------------------------
    def bind(self, keys: dict[str, str]) -> dict[str, str]:
        """Asks the desktop; what it refuses arrives later through `conflicts_found`."""
        self._keys = {action: key for action, key in keys.items() if key}
        if self._session is None:
            token = self._request(self._session_created)
            self._send(new_method_call(PORTAL, "CreateSession", "a{sv}", (
                {"handle_token": ("s", token), "session_handle_token": ("s", "hangup_coach_" + secrets.token_hex(4))},
            )), "CreateSession")
        else:
            self._bind_shortcuts()
        return {}

    def release(self) -> None:
        self._keys = {}   # the portal has no unbind; the session ends with the app

    # ----- the protocol ----------------------------------------------------------------------------
    def _request(self, on_response) -> str:
        """A handle token for a portal call, and where its Response will come from."""
        token = "hangup_coach_" + secrets.token_hex(6)
        self._waiting[f"/org/freedesktop/portal/desktop/request/{self._sender}/{token}"] = on_response
        return token

    def _session_created(self, results: dict) -> None:
        self._session = str(results["session_handle"][1])
        self._bind_shortcuts()

    def _bind_shortcuts(self) -> None:
        shortcuts = []
        for action, key in self._keys.items():
            options = {"description": ("s", self.descriptions.get(action, action))}
            trigger = portal_trigger(key)
            if trigger:
                options["preferred_trigger"] = ("s", trigger)
            shortcuts.append((action, options))
        token = self._request(self._shortcuts_bound)
        self._send(new_method_call(PORTAL, "BindShortcuts", "oa(sa{sv})sa{sv}", (
            self._session, shortcuts, "", {"handle_token": ("s", token)},
        )), "BindShortcuts")

    def _shortcuts_bound(self, results: dict) -> None:
        bound = {str(item[0]) for item in results.get("shortcuts", ("", []))[1]}
        missing = {action: key for action, key in self._keys.items() if action not in bound}
        if missing:
            self.conflicts_found.emit(missing)

    def _send(self, message, what: str) -> None:
        serial = next(self._conn.outgoing_serial)
        self._calls[serial] = what
        self._conn.send(message, serial=serial)

    def _read(self) -> None:
        while True:
            try:
                message = self._conn.receive(timeout=0)
            except TimeoutError:
                return
            except OSError as exc:   # the session bus went away (the desktop session is ending)
                self._notifier.setEnabled(False)
                self.unavailable.emit(f"session bus: {exc}")
                return
            self._handle(message)

    def _handle(self, message) -> None:
        kind, fields = message.header.message_type, message.header.fields
        if kind is MessageType.error:
            what = self._calls.pop(fields.get(HeaderFields.reply_serial), "a call")
            if what != "AddMatch":
                log.warning("GlobalShortcuts portal: %s failed: %s", what, message.body)
                self.unavailable.emit(f"{what}: {fields.get(HeaderFields.error_name)}")
        elif kind is MessageType.method_return:
            self._calls.pop(fields.get(HeaderFields.reply_serial), None)
        elif kind is MessageType.signal and fields.get(HeaderFields.member) == "Response":
            on_response = self._waiting.pop(fields.get(HeaderFields.path), None)
            if on_response is not None:
                code, results = message.body
                if code == 0:
                    on_response(results)
                else:   # 1: the user said no, 2: the desktop ended it
                    self.unavailable.emit(f"the desktop answered {code}")
        elif kind is MessageType.signal and fields.get(HeaderFields.member) == "Activated":
            session, action = message.body[0], message.body[1]
            if session == self._session and action in self._keys:
                self.pressed.emit(action)
