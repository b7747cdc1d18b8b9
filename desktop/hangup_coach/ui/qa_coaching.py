"""My day's coaching part: the reviews of the agent's own calls and the actions that name them.

The server answers only the agent's own (`/v1/qa/my-reviews`, `/v1/qa/actions`), so nothing here
can show another agent's. Fetched off the GUI thread; without a server it says so.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QGroupBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout

from ..app.off_thread import run_off_thread


class MyCoaching(QGroupBox):
    def __init__(self, texts: dict[str, str], form_label: Callable[[str, str], str],
                 fetch: Callable[[], tuple[list[dict], list[dict]]], parent=None) -> None:
        super().__init__(texts["my_coaching"], parent)
        self.t, self.form_label = texts, form_label
        self.status = QLabel(texts["my_coaching_loading"], wordWrap=True)
        self.reviews = QTableWidget(0, 3)
        self.reviews.setHorizontalHeaderLabels([texts["sheet_calls"], texts["verdict_head"], texts["sheet_cause"]])
        self.actions = QTableWidget(0, 4)
        self.actions.setHorizontalHeaderLabels([texts["sheet_action"], texts["sheet_status"], texts["sheet_due"],
                                                texts["sheet_figure"]])
        for table in (self.reviews, self.actions):
            table.setEditTriggers(QTableWidget.NoEditTriggers)
            table.verticalHeader().setVisible(False)
            table.setMaximumHeight(150)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.reviews)
        layout.addWidget(self.actions)
        # no server, not logged in, refused: said in the box, nothing else breaks
        run_off_thread(self, fetch, lambda answer: self._show(*answer), lambda exc: self._show(None, str(exc)),
                       name="my-coaching")

    def _show(self, reviews, actions) -> None:
        if reviews is None:
            self.status.setText(self.t["my_coaching_unavailable"].format(error=actions))
            return
        self.status.setText(self.t["my_coaching_summary"].format(reviews=len(reviews), actions=len(actions)))
        self.reviews.setRowCount(len(reviews))
        for r, review in enumerate(sorted(reviews, key=lambda x: x["updated_at"], reverse=True)):
            answers = review["answers"]
            cells = [review["call_id"][:8], self.form_label("verdict", answers.get("verdict", "")),
                     ", ".join(self.form_label("root_causes", k) for k in answers.get("root_causes", []))]
            for c, text in enumerate(cells):
                self.reviews.setItem(r, c, QTableWidgetItem(text))
        self.actions.setRowCount(len(actions))
        for r, a in enumerate(actions):
            cells = [a["title"], self.t[f"status_{a['status']}"], a["due"], self.t[f"figure_{a['figure']}"]]
            for c, text in enumerate(cells):
                self.actions.setItem(r, c, QTableWidgetItem(text))
        for table in (self.reviews, self.actions):
            table.resizeColumnsToContents()
