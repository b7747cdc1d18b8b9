"""The review window's recording player: play, pause, seek, and a plain word when there is none.

Qt Multimedia (PySide6-Addons) belongs to the lead/QA package, never the agent's: it is imported
here, when a review window first needs a player, so the card never loads it. Without it the
window says so and the review goes on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from ..app.recordings import NoRecording, Recording

SEEK_MS = 5000


def _clock(ms: int) -> str:
    seconds = max(ms, 0) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


class RecordingPlayer(QWidget):
    position_changed = Signal(int)

    def __init__(self, texts: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.texts = texts
        self.status = QLabel(wordWrap=True)
        self.button = QPushButton(texts["play"], focusPolicy=Qt.NoFocus)
        self.button.setAccessibleName(texts["play"])
        self.slider = QSlider(Qt.Horizontal, focusPolicy=Qt.NoFocus)
        self.slider.setAccessibleName(texts["recording"])
        self.time = QLabel("0:00 / 0:00")
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.player = None
        try:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        except ImportError:
            self.available = False
        else:
            self.available = True
            self._states = QMediaPlayer.PlaybackState
            self.player = QMediaPlayer(self)
            self.output = QAudioOutput(self)   # with no sound device it plays to nowhere, in real time
            self.player.setAudioOutput(self.output)
            self.player.positionChanged.connect(self._moved)
            self.player.durationChanged.connect(lambda d: (self.slider.setRange(0, d), self._moved(self.position())))
            self.player.playbackStateChanged.connect(self._state)
            self.player.errorOccurred.connect(
                lambda _e, text: self._say(texts["rec_error"].format(error=text or "?")))
            self.button.clicked.connect(self.toggle)
            self.slider.sliderMoved.connect(self.player.setPosition)
        self.recording: Recording | None = None
        self.show_none(NoRecording("rec_no_source"))

    # ----- what to play -------------------------------------------------------------------------
    def load(self, found: Recording | NoRecording) -> None:
        if isinstance(found, NoRecording):
            self.show_none(found)
            return
        if not self.available:
            self.show_none(NoRecording("rec_no_player"))
            return
        self.recording = found
        self.player.stop()
        url = QUrl(found.location) if found.is_url else QUrl.fromLocalFile(found.location)
        self.player.setSource(url)
        self._enable(True)
        self._say("")

    def show_none(self, missing: NoRecording) -> None:
        self.recording = None
        if self.player is not None:
            self.player.stop()
            self.player.setSource(QUrl())
        self._enable(False)
        self.time.setText("–")
        self._say(self.texts[missing.reason].format(detail=missing.detail or "-"))

    # ----- keys the review window forwards ------------------------------------------------------
    def toggle(self) -> None:
        if self.recording is None or self.player is None:
            return
        if self.player.playbackState() == self._states.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def seek(self, delta_ms: int) -> None:
        if self.recording is not None and self.player is not None:
            self.player.setPosition(max(0, min(self.player.position() + delta_ms, self.player.duration())))

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()

    def position(self) -> int:
        return self.player.position() if self.player is not None else 0

    def playing(self) -> bool:
        return self.player is not None and self.player.playbackState() == self._states.PlayingState

    # ----- display ------------------------------------------------------------------------------
    def _moved(self, position: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(position)
        self.time.setText(f"{_clock(position)} / {_clock(self.player.duration())}")
        self.position_changed.emit(position)

    def _state(self, state) -> None:
        label = self.texts["pause"] if state == self._states.PlayingState else self.texts["play"]
        self.button.setText(label)
        self.button.setAccessibleName(label)

    def _enable(self, on: bool) -> None:
        self.button.setEnabled(on)
        self.slider.setEnabled(on)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
