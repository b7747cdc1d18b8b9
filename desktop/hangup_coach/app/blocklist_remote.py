"""The review queue window's link to the server: each request on a thread of its own, the answer
back as a Qt signal (the GUI thread never waits on the network)."""

from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QObject, Signal

from .blocklist_server import BlocklistFailure, BlocklistServer


class BlocklistRemote(QObject):
    loaded = Signal(object)      # the review queue (dict of lists of blocks)
    acted = Signal(str, object)  # the action, the block as it is now
    found = Signal(str, object)  # a number, its active blocks (each with its evidence `calls`)
    failed = Signal(str)         # why a request did not happen, in the server's or the network's words

    def __init__(self, open_server: Callable[[], BlocklistServer], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open = open_server

    def load(self) -> None:
        self._run(lambda server: self.loaded.emit(server.queue()))

    def find(self, number: str) -> None:
        """The active blocks of `number` (E.164), due for review or not: to lift one after a complaint."""
        def ask(server: BlocklistServer) -> None:
            blocks = server.get_json("/v1/blocklist", number=number, status="active")["blocks"]
            self.found.emit(number, [dict(b, calls=server.get_json(f"/v1/blocklist/{b['id']}")["evidence"])
                                     for b in blocks])
        self._run(ask)

    def act(self, block: dict, action: str, note: str = "") -> None:
        self._run(lambda server: self.acted.emit(action, server.act(block, action, note)))

    def _run(self, fn) -> None:
        def work() -> None:
            try:
                with self._open() as server:
                    fn(server)
            except BlocklistFailure as exc:
                self.failed.emit(str(exc))
            except Exception as exc:  # a bad answer must reach the window, not kill a thread silently
                self.failed.emit(f"{type(exc).__name__}: {exc}")
        threading.Thread(target=work, name="blocklist-request", daemon=True).start()
