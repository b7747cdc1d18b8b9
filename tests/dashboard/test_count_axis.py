"""The count axis labels whole numbers only: a small count gets ticks at 0.5 steps, and "2"
written at 2.5 (what rounding gave) made a bar of 2 read like one of 3."""

from hangup_coach.ui.charts import CountAxis


def test_only_whole_counts_are_labelled(qtbot):
    axis = CountAxis("left")
    assert axis.tickStrings([0.0, 0.5, 1.0, 2.5, 3.0, 1_000_000.0], 1.0, 0.5) == ["0", "", "1", "", "3", "1,000,000"]
