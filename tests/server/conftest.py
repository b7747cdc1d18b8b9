import pytest

from tests.server.harness import Device, ServerProcess, add_device
from tests.support.postgres import PostgresCluster


@pytest.fixture(scope="session")
def postgres():
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """A fresh, empty server database URL of each kind."""
    if request.param == "sqlite":
        return str(tmp_path / "server.db")
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def server(database):
    with ServerProcess(database) as proc:
        yield proc


@pytest.fixture
def devices(server):
    """devices(agent, role, team) → a Device client; all closed at the end."""
    made = []

    def make(agent: str, role: str = "agent", team: str | None = None) -> Device:
        device = Device(server, *add_device(server.database, agent, role, team))
        made.append(device)
        return device

    yield make
    for d in made:
        d.close()
