"""The lead's and manager's review queue of the IVR blocklist (from ☰ and the tray).

Four parts: proposals waiting for a decision, approved blocks to activate, automatic (burst)
blocks to confirm, active blocks due for review; the selected block's evidence calls below.
Above them, a number can be looked up (a customer complains they cannot get through): its
active blocks, due or not, with who decided and who activated them and on which calls, each
liftable with a reason. Keyboard: arrows move, the buttons' underlined letters act (Alt+A
approve, Alt+R reject, Alt+T activate, Alt+C confirm, Alt+V revoke), Alt+F or Ctrl+F goes to
the number field (Enter looks it up), F5 reloads, Esc closes. The server decides who may do
what; its refusal is shown in words.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ..app.blocklist_remote import BlocklistRemote
from ..core.phone import mask, normalise

PARTS = ("proposals", "to_activate", "to_confirm", "due")
# which steps fit a block in each part of the queue ("found": a looked-up number's active blocks)
STEPS = {"proposals": ("approve", "reject"), "to_activate": ("activate",),
         "to_confirm": ("review", "revoke"), "due": ("review", "revoke"), "found": ("revoke",)}
BUTTONS = ("approve", "reject", "activate", "review", "revoke")
NEEDS_REASON = ("reject", "revoke")


class ReviewQueueWindow(QWidget):
    def __init__(self, remote: BlocklistRemote, texts: dict[str, str], labels, region: str = "CN") -> None:
        super().__init__(None, Qt.Window)
        self.remote, self.t, self.labels, self.region = remote, texts, labels, region
        self.setWindowTitle(texts["rq_title"])
        self.setObjectName("reviewQueue")
        self.resize(860, 560)
        layout = QVBoxLayout(self)
        find_row = QHBoxLayout()
        self.find_field = QLineEdit(objectName="findNumber", placeholderText=texts["rq_find_hint"])
        self.find_field.setAccessibleName(texts["rq_find"].replace("&", ""))
        self.find_field.returnPressed.connect(self.find)
        find_label = QLabel(texts["rq_find"])
        find_label.setBuddy(self.find_field)                 # Alt+F (查找号码(&F))
        find_row.addWidget(find_label)
        find_row.addWidget(self.find_field, 1)
        layout.addLayout(find_row)
        self.tree = QTreeWidget(objectName="queue")
        self.tree.setHeaderLabels([texts[k] for k in ("rq_number", "rq_scope", "rq_reason", "rq_proposed_by",
                                                      "rq_calls", "rq_when")])
        self.tree.setAccessibleName(texts["rq_title"])
        self.tree.setRootIsDecorated(False)
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        layout.addWidget(self.tree, 3)
        self.evidence_title = QLabel(texts["rq_evidence"], objectName="title")
        layout.addWidget(self.evidence_title)
        self.evidence = QTreeWidget(objectName="evidence")
        self.evidence.setHeaderLabels([texts[k] for k in ("rq_call_time", "rq_agent", "rq_class", "rq_warnings",
                                                          "rq_outcome")])
        self.evidence.setRootIsDecorated(False)
        self.evidence.setAccessibleName(texts["rq_evidence"])
        layout.addWidget(self.evidence, 2)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name in BUTTONS:
            button = QPushButton(texts[f"rq_{name}"])
            button.setAccessibleName(texts[f"rq_{name}"].replace("&", ""))
            button.clicked.connect(lambda _=False, n=name: self.act(n))
            self.buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        self.reload_button = QPushButton(texts["rq_reload"])
        self.reload_button.clicked.connect(self.reload)
        row.addWidget(self.reload_button)
        layout.addLayout(row)
        self.status = QLabel("", objectName="status", wordWrap=True)
        layout.addWidget(self.status)
        QShortcut(QKeySequence(Qt.Key_F5), self, self.reload)
        QShortcut(QKeySequence.Find, self, lambda: (self.find_field.setFocus(), self.find_field.selectAll()))
        QShortcut(QKeySequence(Qt.Key_Escape), self, self.close)
        remote.loaded.connect(self._loaded)
        remote.acted.connect(self._acted)
        remote.found.connect(self._found)
        remote.failed.connect(self._failed)
        self._blocks: dict[str, tuple[str, dict]] = {}   # "part:block id" → (part, block)
        self._queue: dict = {}                            # the review queue as last loaded
        self._lookup: tuple[str, list] | None = None      # a looked-up number and its active blocks
        self._done = ""                                   # what the last step did, kept over the reloads
        self._enable(None)

    # ----- asking the server --------------------------------------------------------------------
    def reload(self) -> None:
        self._done = ""
        self.status.setText(self.t["rq_loading"])
        self.remote.load()

    def find(self) -> None:
        self._done = ""
        text = self.find_field.text().strip()
        if not text:
            self._lookup = None
            self._show()
            return
        number = normalise(text, self.region)
        if not number.known:
            self.status.setText(self.t["rq_not_a_number"].format(text=text))
            return
        self.status.setText(self.t["rq_loading"])
        self.remote.find(number.e164)

    def act(self, action: str) -> None:
        picked = self._selected()
        if picked is None or action not in STEPS[picked[0]]:
            return
        note = ""
        if action in NEEDS_REASON:
            note, ok = QInputDialog.getText(self, self.t[f"rq_{action}"].replace("&", ""), self.t["rq_why"])
            if not ok or not note.strip():
                self.status.setText(self.t["rq_reason_needed"])
                return
        self._enable(None)
        self.status.setText(self.t["rq_sending"])
        self.remote.act(picked[1], action, note.strip())

    # ----- showing what came back -----------------------------------------------------------------
    def _loaded(self, queue: dict) -> None:
        self._queue = queue
        self._show()
        total = sum(len(queue.get(part, [])) for part in PARTS)
        counted = self.t["rq_loaded"].format(count=total) if total else self.t["rq_empty"]
        self.status.setText(f"{self._done} · {counted}" if self._done else counted)

    def _found(self, number: str, blocks: list) -> None:
        self._lookup = (number, blocks)
        self._show(select_found=True)
        shown = mask(number, self.region)
        said = self.t["rq_found_none"].format(number=shown) if not blocks else \
            f"{self.t['rq_found'].format(number=shown)} ({len(blocks)})"
        self.status.setText(f"{self._done} · {said}" if self._done else said)

    def _show(self, select_found: bool = False) -> None:
        """The looked-up number's active blocks (if any) above the queue's four parts."""
        current = self._selected()
        self.tree.clear()
        self._blocks.clear()
        select = None
        parts = [(part, self.t["rq_" + part], self._queue.get(part, [])) for part in PARTS]
        if self._lookup is not None:
            number, found = self._lookup
            parts.insert(0, ("found", self.t["rq_found"].format(number=mask(number, self.region)), found))
        for part, title, blocks in parts:
            head = QTreeWidgetItem([f"{title} ({len(blocks)})"])
            head.setFlags(Qt.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for block in blocks:
                item = QTreeWidgetItem([
                    mask(block["number"], self.region), self.t[f"block_scope_{block['scope']}"],
                    self._reason(block), block["proposed_by"], str(len(block.get("calls", []))),
                    _local(block["expires_at"] if part == "due" else block["created_at"])])
                key = f"{part}:{block['id']}"         # a found block may be in the queue too
                item.setData(0, Qt.UserRole, key)
                self.tree.addTopLevelItem(item)
                self._blocks[key] = (part, block)
                if (current and (current[0], current[1]["id"]) == (part, block["id"]) and not select_found) or \
                        (select_found and part == "found" and select is None):
                    select = item
        for column in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(column)
        first = select or next((self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())
                                if self.tree.topLevelItem(i).data(0, Qt.UserRole)), None)
        if first is not None:
            self.tree.setCurrentItem(first)
        self._show_selected()
        if select_found and select is not None:
            self.tree.setFocus()

    def _acted(self, action: str, block: dict) -> None:
        # said with what the reloads bring, until the next request
        self._done = self.t["rq_done"].format(number=mask(block["number"], self.region),
                                              status=self.t.get(f"rq_status_{block['status']}", block["status"]))
        self.status.setText(self._done)
        self.remote.load()
        if self._lookup is not None:
            self.remote.find(self._lookup[0])        # the lifted block leaves the looked-up list

    def _failed(self, why: str) -> None:
        self.status.setText(self.t["rq_failed"].format(error=why))
        self._show_selected()

    def _show_selected(self) -> None:
        picked = self._selected()
        self.evidence.clear()
        self._enable(picked[0] if picked else None)
        self.evidence_title.setText(self.t["rq_evidence"])
        if picked is None:
            return
        block = picked[1]
        if block.get("decided_by"):
            who = self.t["rq_who"].format(decided=block["decided_by"], operated=block.get("operated_by") or "-")
            self.evidence_title.setText(f"{self.t['rq_evidence']} · {who}")
        for call in picked[1].get("calls", []):
            cls = self.labels("classes", call["caller_class"]) if call.get("caller_class") else "-"
            self.evidence.addTopLevelItem(QTreeWidgetItem([
                _local(call.get("started_at")), str(call.get("agent_id") or "-"), cls, str(call.get("warnings") or 0),
                self.labels("dispositions", call["disposition"]) if call.get("disposition") else "-"]))
        for column in range(self.evidence.columnCount()):
            self.evidence.resizeColumnToContents(column)

    def _selected(self) -> tuple[str, dict] | None:
        item = self.tree.currentItem()
        key = item.data(0, Qt.UserRole) if item is not None else None
        return self._blocks.get(key) if key else None

    def _enable(self, part: str | None) -> None:
        for name, button in self.buttons.items():
            button.setEnabled(part is not None and name in STEPS[part])

    def _reason(self, block: dict) -> str:
        if block["reason"] == "burst":
            return self.t["rq_burst"]
        return self.labels("sub_reasons", block["reason"])

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().showEvent(event)
        self.tree.setFocus()


def _local(text: str | None) -> str:
    if not text:
        return "-"
    try:
        return datetime.fromisoformat(text).astimezone().strftime("%m-%d %H:%M")
    except ValueError:
        return text[:16]
