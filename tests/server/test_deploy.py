"""Running the server for real: TLS, behind a reverse proxy, several workers, the access log."""

import json
import ssl
import subprocess
import time

import httpx
import pytest

from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call

NUMBER = "+8613800138000"


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_serves_https_to_a_client_that_trusts_the_certificate(tmp_path, certificate, monkeypatch):
    cert, key = certificate
    trusted = ssl.create_default_context(cafile=str(cert))
    db = str(tmp_path / "server.db")
    with ServerProcess(db, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https", verify=trusted) as server:
        agent = Device(server, *add_device(db, "1001"))
        assert agent.get("/v1/me").json()["agent_id"] == "1001"
        assert agent.push([call("1001")]).status_code == 200
        agent.close()
        with pytest.raises(httpx.ConnectError):        # an unpinned self-signed certificate is refused
            httpx.get(server.url + "/health", timeout=10)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the README's way to trust a centre's own CA
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
        with pytest.raises(httpx.HTTPError):           # and there is no plain HTTP on the port
            httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=10)


def test_only_tls_cert_and_key_together(tmp_path, certificate):
    with pytest.raises(RuntimeError, match="go together"):
        ServerProcess(str(tmp_path / "s.db"), "--tls-cert", str(certificate[0])).start()


def access_lines(server):
    return [json.loads(line) for line in server.access_lines() if line.strip()]


def access_lines_once_logged(server, count: int, within: float = 10.0):
    deadline = time.monotonic() + within
    while len(lines := access_lines(server)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return lines


def test_behind_a_reverse_proxy_the_log_names_the_real_client(tmp_path):
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    with ServerProcess(str(tmp_path / "a.db"), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1") as proxied:
        assert httpx.get(proxied.url + "/health", headers=headers).status_code == 200
        line = access_lines(proxied)[-1]
        assert (line["client"], line["scheme"]) == ("203.0.113.7", "https")
    with ServerProcess(str(tmp_path / "b.db"), "--proxy-headers", "--forwarded-allow-ips", "10.9.9.9") as untrusted:
        httpx.get(untrusted.url + "/health", headers=headers)
        line = access_lines(untrusted)[-1]
        assert (line["client"], line["scheme"]) == ("127.0.0.1", "http")   # not a trusted proxy: ignored


def test_the_access_log_has_no_tokens_and_only_masked_numbers(server, devices):
    agent, lead = devices("1001"), devices("2001", "lead")
    assert agent.push([call("1001", NUMBER)]).status_code == 200
    assert agent.get(f"/v1/profiles/{NUMBER}").status_code == 200
    assert agent.get("/v1/profiles/+8613912345678").status_code == 404
    assert lead.get("/v1/team/changes").status_code == 200
    httpx.get(server.url + "/v1/me", headers={"Authorization": "Bearer wrong-token-123"})
    lines = access_lines_once_logged(server, 6)   # a request's line is written just after its answer
    assert len(lines) >= 5
    assert {"time", "client", "method", "path", "status", "ms", "device", "pid"} <= set(lines[0])
    paths = [(line["method"], line["path"], line["status"]) for line in lines]
    assert ("GET", "/v1/profiles/138****8000", 200) in paths
    assert ("GET", "/v1/profiles/139****5678", 404) in paths
    assert ("POST", "/v1/push", 200) in paths and ("GET", "/v1/me", 401) in paths
    assert any(line["device"] == agent.id for line in lines)
    everything = (server.work / "access.log").read_text() + server.messages()
    for secret in (agent.token, lead.token, "wrong-token-123", NUMBER, "13800138000", "13912345678"):
        assert secret not in everything


def test_several_workers_serve_one_postgresql(postgres):
    database = postgres.new_database()
    with ServerProcess(database, "--workers", "2") as server:
        agent = Device(server, *add_device(database, "1001"))
        for i in range(60):
            reply = httpx.post(server.url + "/v1/push", headers={"Authorization": f"Bearer {agent.token}"},
                               json={"device_id": agent.id, "records": [call("1001")]})   # a new connection each
            assert reply.status_code == 200
        pages, _ = Device(server, *add_device(database, "2001", "lead")).pull_all("/v1/team/changes")
        assert sum(len(p["calls"]) for p in pages) == 60
        pids = {line["pid"] for line in access_lines(server) if line["path"] == "/v1/push"}
        assert len(pids) == 2, pids                      # both worker processes took pushes
        agent.close()
