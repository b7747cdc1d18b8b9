"""Fixtures for the real-desktop tests (desktop_session.py): each test starts its own X server,
window manager, CRM stand-in and app, and stops them all at the end."""

import shutil

import pytest

from desktop_session import App, Crm, Desktop


@pytest.fixture
def desktop(tmp_path, request):
    """Xvfb at 1280x800, or what the test's `x_server(kind, screen)` marker asks for (Xvnc resizes)."""
    marker = request.node.get_closest_marker("x_server")
    server, screen = marker.args if marker else ("xvfb", "1280x800x24")
    for tool in ({"xvfb": "Xvfb", "xvnc": "Xvnc"}[server], "openbox", "xdotool"):
        assert shutil.which(tool), f"{tool} is missing: ./dev setup installs it"
    session = Desktop(tmp_path, server, screen)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def crm(desktop):
    return Crm(desktop)


@pytest.fixture
def start_app(desktop):
    return lambda *args, env=None, agent_number="7001": App(desktop, list(args), env, agent_number)
