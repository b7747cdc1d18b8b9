"""The card talks HTTPS and checks the server's certificate against the system's trust store."""

import ssl
import subprocess

from tests.server.harness import ServerProcess, add_device

from .agents import Agent


def test_login_refuses_an_untrusted_certificate_and_works_once_the_ca_is_trusted(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    db = str(tmp_path / "server.db")
    with ServerProcess(db, "--tls-cert", str(cert), "--tls-key", str(key), scheme="https",
                       verify=ssl.create_default_context(cafile=str(cert))) as server:
        _, token = add_device(db, "1024")
        agent = Agent(tmp_path / "home", "1024")
        untrusted = agent.login(server.url, token)
        assert untrusted.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
        assert not (agent.home / "config" / "sync.json").exists()
        env = dict(agent.env(), SSL_CERT_FILE=str(cert))       # the centre's CA, trusted by the system
        login = subprocess.run(agent.command("login", "--server", server.url), input=token + "\n",
                               env=env, capture_output=True, text=True, timeout=120)
        assert login.returncode == 0, login.stderr
        agent.record_call(1)
        synced = subprocess.run(agent.command("sync", "--once", "--db", str(agent.db_path)), env=env,
                                capture_output=True, text=True, timeout=120)
        assert synced.returncode == 0 and "pushed 1" in synced.stdout, synced.stderr
        agent.close()
