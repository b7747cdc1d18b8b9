"""`--softphone URL` → the adapter: baresip://host:port (ctrl_tcp) or json://host:port (CTI bridge)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from PySide6.QtCore import QObject

from .base import Softphone

SCHEMES = ("baresip", "json")


def softphone_from_url(url: str, parent: QObject | None = None, token: str | None = None) -> Softphone:
    """Raises ValueError, with a message fit for the agent, for anything but a usable URL.
    `token`: what a CTI bridge must send first on json:// (app/settings.cti_token)."""
    scheme, host, port = parse_url(url)
    if scheme == "baresip":
        from .baresip import BaresipSoftphone
        return BaresipSoftphone(host, port, parent)
    from .jsonsource import JsonSocketSoftphone
    return JsonSocketSoftphone(host, port, parent, token=token)


def parse_url(url: str) -> tuple[str, str, int]:
    text = (url or "").strip()
    parts = urlsplit(text)
    example = "baresip://127.0.0.1:4444 or json://127.0.0.1:PORT"
    if parts.scheme not in SCHEMES or "://" not in text:
        raise ValueError(f"unknown softphone {text!r}: use {example}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in {text!r}: it must be a number from 1 to 65535") from None
    host = parts.hostname
    if not host or port is None or port == 0:
        raise ValueError(f"{text!r} needs a host and a port, e.g. {example}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{text!r} has more than a host and a port: use {example}")
    if host != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"bad host {host!r} in {text!r}: give an IP address or localhost") from None
        # The card listens on json://; it must never open a port beyond this machine.
        if parts.scheme == "json" and not address.is_loopback:
            raise ValueError(f"json:// must listen on a loopback address (127.0.0.1), not {host}")
    return parts.scheme, host, port
