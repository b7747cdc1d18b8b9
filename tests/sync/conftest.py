import pytest

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.paths import AppPaths
from hangup_coach.app.sync_setup import start_sync
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.ui.card import CoachCard
from tests.server.harness import Device, ServerProcess, add_device

from .agents import Agent


@pytest.fixture(scope="session")
def postgres():
    from tests.support.postgres import PostgresCluster
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def server_database(tmp_path):
    """The server's database: SQLite here; a module may override this fixture (PostgreSQL too)."""
    return str(tmp_path / "server.db")


@pytest.fixture
def server(server_database):
    with ServerProcess(server_database) as proc:
        yield proc


@pytest.fixture
def agents(server, tmp_path):
    """agents(agent_id, role="agent") → an Agent logged in to the server (through `hangup-coach login`)."""
    made = []

    def make(agent_id: str, role: str = "agent") -> Agent:
        _, token = add_device(server.database, agent_id, role)
        agent = Agent(tmp_path / f"home-{agent_id}", agent_id)
        result = agent.login(server.url, token)
        assert result.returncode == 0, result.stderr
        made.append(agent)
        return agent

    yield make
    for a in made:
        a.close()


@pytest.fixture
def lead(server):
    """A lead's HTTP client of the default team, to read back what the server holds."""
    device = Device(server, *add_device(server.database, "lead-1", "lead"))
    yield device
    device.close()


@pytest.fixture
def card_for(qtbot):
    """card_for(agent) → (card, controller) on the agent's local database, as an agent uses it."""
    controllers = []

    def make(agent):
        controller = Controller(agent.store, load_policy(), load_scripts("en"), SystemClock(), QtScheduler(),
                                Fill(agent.agent_id))
        controllers.append(controller)
        card = CoachCard(controller, load_texts("en"))
        qtbot.addWidget(card)
        card.show()
        return card, controller
    yield make
    for controller in controllers:   # the store workers finish before the agents' files are closed
        assert controller.close(5)


@pytest.fixture
def synced_card(qtbot, qapp, monkeypatch):
    """synced_card(agent) → (card, controller, worker): the agent's card with its sync worker started
    as the app starts it; rounds only on worker.sync_now()."""
    started = []

    def make(agent, language="en"):
        monkeypatch.setenv("HANGUP_COACH_HOME", str(agent.home))
        controller = Controller(agent.store, load_policy(), load_scripts(language), SystemClock(), QtScheduler(),
                                Fill(agent.agent_id))
        texts = load_texts(language)
        card = CoachCard(controller, texts)
        qtbot.addWidget(card)
        card.show()
        worker = start_sync(AppPaths.detect(), agent.db_path, controller, card, None, texts, qapp)
        worker.interval, worker.max_backoff = 3600.0, 0.5      # rounds only on sync_now in these tests
        started.append((worker, controller))
        return card, controller, worker

    yield make
    for worker, controller in started:
        worker.stop()
        controller.close(5)   # the store worker finishes before the agent's file is closed
