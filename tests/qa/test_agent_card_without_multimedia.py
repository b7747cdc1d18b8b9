"""Qt Multimedia is the lead/QA package's: the agent's card starts without loading it (or the QA windows)."""

from tests.support.started_card import modules_of_a_started_card


def test_the_card_starts_without_qt_multimedia_or_the_qa_windows(tmp_path):
    loaded = modules_of_a_started_card(tmp_path)
    assert "hangup_coach.ui.card" in loaded and "hangup_coach.ui.policy_misfit" in loaded   # the wrap-up's click
    unwanted = {"PySide6.QtMultimedia", "hangup_coach.ui.qa_player", "hangup_coach.ui.qa_review",
                "hangup_coach.app.recordings"}
    assert not loaded & unwanted, sorted(loaded & unwanted)
