"""Renders resources/icons/hangup-coach.svg into the .ico that Windows shows for the executables
and the installer (the spec runs it on Windows, before freezing).

    python packaging/windows/make_icon.py build/packaging/hangup-coach.ico
"""

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[2]


def main(out: str) -> int:
    app = QGuiApplication(["make_icon", "-platform", "offscreen"])  # noqa: F841 (Qt needs one to paint)
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "hangup-coach.svg"))
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if not image.save(out, "ICO"):
        print(f"make_icon: could not write {out}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
