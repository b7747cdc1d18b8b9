import pytest

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
