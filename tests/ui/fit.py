"""What 'nothing cut off, nothing off-screen' means, as checks over a shown card."""

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QScrollArea, QWidget


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and widget.width() > 0


def problems(card: QWidget) -> list[str]:
    """Every visible text that does not fit its widget, every widget its parent cuts off, and a
    card that is not wholly on its screen."""
    found = []
    screen = card.screen().availableGeometry()
    if not screen.contains(card.frameGeometry()):
        found.append(f"card {card.frameGeometry()} is not inside the screen {screen}")
    for widget in card.findChildren(QWidget):
        if not _shown(widget) or widget.window() is not card:
            continue
        name = widget.objectName() or widget.accessibleName() or type(widget).__name__
        parent = widget.parentWidget()
        if parent is not None and not isinstance(parent.parentWidget(), QScrollArea):
            # (the scrolled content may reach past its viewport: that part scrolls into view)
            if not QRect(0, 0, parent.width(), parent.height()).contains(widget.geometry()):
                found.append(f"{name} {widget.geometry()} sticks out of its parent {parent.size()}")
        if isinstance(widget, QLabel) and widget.text():
            if widget.wordWrap():
                need = widget.heightForWidth(widget.width())
                if need > widget.height():
                    found.append(f"label {name} {widget.text()!r}: needs {need} px high, has {widget.height()}")
            elif widget.sizeHint().width() > widget.width():
                found.append(f"label {name} {widget.text()!r}: needs {widget.sizeHint().width()} px wide, "
                             f"has {widget.width()}")
        elif isinstance(widget, (QAbstractButton, QComboBox)):
            hint = widget.sizeHint()
            if hint.width() > widget.width() or hint.height() > widget.height():
                text = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
                found.append(f"{type(widget).__name__} {text!r}: needs {hint.width()}x{hint.height()}, "
                             f"has {widget.width()}x{widget.height()}")
    return found
