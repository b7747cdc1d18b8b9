"""Questions to an X server, asked from a process of their own: python-xlib keeps extension event
tables per process, and a pytest run that met Xvfb and then Xvnc (their extensions number events
differently) failed to open the second display ("'type' object does not support item assignment").

    x_query.py wm-name                      the window manager's name, "" until it runs
    x_query.py stacking                     _NET_CLIENT_LIST_STACKING, bottom to top, one id a line
    x_query.py frame WINDOW                 x y width height of the window manager's frame of WINDOW
    x_query.py resize WIDTH HEIGHT          change the screen's resolution (RandR)
    x_query.py compositor                   "yes" if a compositing manager owns _NET_WM_CM_S<screen>
"""

import sys

from Xlib import X, display, error
from Xlib.ext import randr


def main(argv: list[str]) -> int:
    try:
        d = display.Display()
    except error.DisplayError:
        return 2     # not reachable (yet)
    try:
        root = d.screen().root
        command = argv[0]
        if command == "wm-name":
            check = root.get_full_property(d.intern_atom("_NET_SUPPORTING_WM_CHECK"), X.AnyPropertyType)
            if check is not None:
                win = d.create_resource_object("window", check.value[0])
                name = win.get_full_property(d.intern_atom("_NET_WM_NAME"), X.AnyPropertyType)
                print(name.value.decode() if name is not None else "")
        elif command == "stacking":
            prop = root.get_full_property(d.intern_atom("_NET_CLIENT_LIST_STACKING"), X.AnyPropertyType)
            print("\n".join(str(w) for w in (prop.value if prop else [])))
        elif command == "frame":
            win = d.create_resource_object("window", int(argv[1]))
            while (parent := win.query_tree().parent).id != root.id:   # up to the frame the WM made
                win = parent
            g = win.get_geometry()
            print(g.x, g.y, g.width, g.height)
        elif command == "resize":
            info = randr.get_screen_info(root)
            size = next(i for i, s in enumerate(info.sizes)
                        if (s["width_in_pixels"], s["height_in_pixels"]) == (int(argv[1]), int(argv[2])))
            randr.set_screen_config(root, size, info.rotation, info.config_timestamp)
            d.sync()
        elif command == "compositor":
            owner = d.get_selection_owner(d.intern_atom(f"_NET_WM_CM_S{d.get_default_screen()}"))
            print("yes" if owner else "no")
        return 0
    finally:
        d.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
