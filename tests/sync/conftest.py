import pytest

from tests.server.harness import Device, ServerProcess, add_device

from .agents import Agent


@pytest.fixture
def server(tmp_path):
    with ServerProcess(str(tmp_path / "server.db")) as proc:
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
