"""A stand-in for the desktop's GlobalShortcuts portal (org.freedesktop.portal.Desktop) on a test
bus, following the XDG portal documentation: CreateSession and BindShortcuts answer with a
Request path and then its Response signal; after binding, the "user" presses one shortcut.

argv: the shortcut to press, then shortcuts the desktop refuses to bind. Prints `ready` and
`bound <id>=<preferred trigger> ...`.
"""

import sys

from jeepney import DBusAddress, HeaderFields, MessageType, message_bus, new_error, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection

PRESS, REFUSE = sys.argv[1], set(sys.argv[2:])
SESSION = "/org/freedesktop/portal/desktop/session/test/1"
conn = open_dbus_connection("SESSION")
conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.portal.Desktop"))
print("ready", flush=True)


def request_path(msg, options):
    sender = msg.header.fields[HeaderFields.sender][1:].replace(".", "_")
    return f"/org/freedesktop/portal/desktop/request/{sender}/{options['handle_token'][1]}"


def respond(msg, options, results):
    path = request_path(msg, options)
    conn.send(new_method_return(msg, "o", (path,)))
    request = DBusAddress(path, interface="org.freedesktop.portal.Request")
    conn.send(new_signal(request, "Response", "ua{sv}", (0, results)))


while True:
    msg = conn.receive()
    if msg.header.message_type is not MessageType.method_call:
        continue
    member = msg.header.fields.get(HeaderFields.member)
    if member == "CreateSession":
        respond(msg, msg.body[0], {"session_handle": ("s", SESSION)})
    elif member == "BindShortcuts":
        session, shortcuts, _parent, options = msg.body
        print("bound " + " ".join(f"{sid}={opts.get('preferred_trigger', ('s', ''))[1]}" for sid, opts in shortcuts),
              flush=True)
        bound = [(sid, {"description": opts["description"]}) for sid, opts in shortcuts if sid not in REFUSE]
        respond(msg, options, {"shortcuts": ("a(sa{sv})", bound)})
        portal = DBusAddress("/org/freedesktop/portal/desktop", interface="org.freedesktop.portal.GlobalShortcuts")
        conn.send(new_signal(portal, "Activated", "osta{sv}", (session, PRESS, 0, {})))
    else:
        conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,)))
