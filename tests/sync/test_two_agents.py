"""Two agents' cards (two local databases) and one real server: what one agent learns about a
caller reaches the other's card after one pull; a lead's card receives the team's calls and notes
without ever treating them as the lead's own."""

import pytest

from hangup_coach.core.callers import CallerClass, SubReason

from .agents import NUMBER, take_call


@pytest.fixture(params=["sqlite", "postgresql"])
def server_database(request, tmp_path):
    """Both of the server's databases, the same test."""
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    return request.getfixturevalue("postgres").new_database()


def test_a_number_one_agent_marked_no_value_twice_is_no_value_for_the_other_after_one_pull(qtbot, agents, card_for):
    alice, bob = agents("1024"), agents("2048")
    alice_card, alice_ctl = card_for(alice)
    bob_card, bob_ctl = card_for(bob)

    first = take_call(qtbot, bob_card, bob_ctl)          # bob's card knows nothing yet
    assert first.caller_class is CallerClass.REGULAR
    for _ in range(2):
        marked = take_call(qtbot, alice_card, alice_ctl, no_value=True)
        assert marked.record.class_source == "agent"

    assert alice.sync().returncode == 0
    pulled = bob.sync()                                   # one pull
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled 1 caller profile(s) (3 call(s) of the team)" in pulled.stdout

    second = take_call(qtbot, bob_card, bob_ctl, wrap_up=False)
    assert second.caller_class is CallerClass.NO_VALUE
    assert second.sub_reason is SubReason.HARASSMENT
    assert second.record.class_reason_key == "recent_no_value"
    assert "no-value" in second.record.class_reason    # the latest agent correction stands (README)
    assert bob_card.reason.text() == second.record.class_reason


def test_a_leads_card_gets_the_teams_calls_and_notes_but_never_as_its_own_open_calls(qtbot, agents, card_for):
    alice, lead = agents("1024"), agents("lead-7", role="lead")
    alice.record_call(1, note="已解释资费")
    alice.record_call(2, ended_at=None, wrapped_up_at=None)    # still open on alice's card
    assert alice.sync().returncode == 0
    pulled = lead.sync()
    assert pulled.returncode == 0, pulled.stderr
    assert "team: 2 call(s), 1 note(s)" in pulled.stdout
    team = {r["call_id"]: r for r in lead.store.db.query("SELECT * FROM team_calls")}
    assert set(team) == {"1024-call-1", "1024-call-2"}
    assert team["1024-call-1"]["disposition"] == "resolved" and team["1024-call-1"]["agent_id"] == "1024"
    assert [r["text"] for r in lead.store.db.query("SELECT text FROM team_notes")] == ["已解释资费"]
    assert lead.store.open_calls() == []
    card, controller = card_for(lead)
    assert controller.current is None and card.idle_label.isVisible()
    assert lead.sync().stdout.count("pushed 0") == 1     # nothing of the team is pushed back
