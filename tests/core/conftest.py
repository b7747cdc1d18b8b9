import pytest

from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.core.classify import CallerHistory
from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import Coach


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_coach(clock):
    """A coach on a fake clock; `histories` maps E.164 numbers to what the centre knows."""

    def make(policy=None, histories=None, lang="en"):
        scripts = load_scripts(lang)
        coach = Coach(policy or load_policy(), clock, clock,
                      history=lambda e164: (histories or {}).get(e164, CallerHistory()),
                      render_reason=scripts.render_reason, agent_id="1024")
        changes = []
        coach.subscribe(lambda s: changes.append(s.phase))
        coach.changes = changes
        return coach

    return make
