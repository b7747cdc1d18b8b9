"""The dashboard's summary: the few figures a lead acts on, large, each with its flag against the
centre's target and its trend in words (`app.report_format.figures`)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..app.report_format import SURVEY_FIGURES, Figure, trend_room

FLAG_COLOURS = {"green": "#2e7d32", "amber": "#b26a00", "red": "#c62828"}


class TrendLabel(QLabel):
    """A tile's trend, as high as the longest trend its figure may show (`room`, never shown) at any
    width: the tiles keep their height when the figures replace the placeholders."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.room = QLabel(self)
        self.room.setWordWrap(True)
        self.room.hide()

    def keep_room_for(self, text: str, bold: bool) -> None:
        self.room.setText(f"<b>{text}</b>" if bold else f"<span>{text}</span>")   # rich text, as shown
        self.updateGeometry()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt name)
        return max(super().heightForWidth(width), self.room.heightForWidth(width))


class FigureTile(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.StyledPanel)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.title, self.value, self.flag, self.trend = QLabel(), QLabel(), QLabel(), TrendLabel()
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.value.setFont(font)
        for label in (self.title, self.flag):
            label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        for label in (self.title, self.value, self.flag, self.trend):
            layout.addWidget(label)
        self.figure: Figure | None = None

    def show_figure(self, figure: Figure, texts: dict[str, str]) -> None:
        self.figure = figure
        self.title.setText(figure.title)
        self.value.setText(figure.value)
        colour = FLAG_COLOURS.get(figure.flag, "#555555")
        self.value.setStyleSheet(f"color: {colour}")
        flag = f"● {texts[f'flag_{figure.flag}']} · " if figure.flag else ""
        self.flag.setText(f"<span style='color:{colour}'>{flag}</span>{figure.target}")
        trend = figure.trend
        if figure.improved is not None:
            trend = f"<span style='color:{'#2e7d32' if figure.improved else '#c62828'}'>{trend}</span>"
        self.trend.setText(f"<b>{trend}</b>" if figure.significant else trend)
        self.trend.keep_room_for(trend_room(figure.key, texts), bold=figure.key in SURVEY_FIGURES)
        self.setAccessibleName(f"{figure.title}: {figure.value}")


class FigureTiles(QWidget):
    """The tiles in a grid that wraps to the width: 6 in a row on a wide screen, 3 on a laptop."""

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.tiles: list[FigureTile] = []
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.columns = 0

    def show_figures(self, figures: list[Figure]) -> None:
        while len(self.tiles) < len(figures):
            self.tiles.append(FigureTile(self))
        for tile, figure in zip(self.tiles, figures):
            tile.show_figure(figure, self.texts)
        self._arrange(force=True)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self, force: bool = False) -> None:
        columns = 6 if self.width() >= 1300 else 3
        if columns == self.columns and not force:
            return
        self.columns = columns
        for tile in self.tiles:
            self.grid.removeWidget(tile)
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns)
        for c in range(6):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
