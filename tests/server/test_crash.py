"""A server killed with SIGKILL in the middle of pushes keeps every acknowledged batch, whole, and
no part of a batch it did not finish; after a restart on the same database it carries on."""

import threading

import httpx

from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call, note


def test_a_server_killed_mid_push_keeps_whole_batches_only(database):
    server = ServerProcess(database).start()
    agents = [(f"10{i:02d}", *add_device(database, f"10{i:02d}")) for i in range(6)]
    lead = add_device(database, "2001", "lead")
    attempted, acked, lock = [], [], threading.Lock()
    enough = threading.Event()

    def push_until_the_server_dies(agent_id, device_id, token):
        client = Device(server, device_id, token)
        try:
            while True:
                batch = [call(agent_id) for _ in range(40)]
                batch += [note(c["id"]) for c in batch[:10]]
                ids = {r["id"] for r in batch}
                with lock:
                    attempted.append(ids)
                try:
                    reply = client.push(batch)
                except httpx.HTTPError:
                    return                          # the server is gone
                assert reply.status_code == 200, reply.text
                with lock:
                    acked.append(ids)
                    if len(acked) >= 30:
                        enough.set()
        finally:
            client.close()

    threads = [threading.Thread(target=push_until_the_server_dies, args=a) for a in agents]
    for t in threads:
        t.start()
    assert enough.wait(120), server.messages()
    server.kill()                                   # mid-push: six clients are sending right now
    for t in threads:
        t.join(60)

    with ServerProcess(database) as restarted:
        reader = Device(restarted, *lead)
        pages, _ = reader.pull_all("/v1/team/changes")
        stored = [r["id"] for p in pages for r in p["calls"] + p["notes"]]
        assert len(stored) == len(set(stored))
        stored = set(stored)
        for ids in acked:
            assert ids <= stored, "an acknowledged batch lost records"
        for ids in attempted:
            assert ids <= stored or not ids & stored, "half a batch was stored"
        one_more = Device(restarted, *agents[0][1:])
        assert one_more.push([call(agents[0][0])]).status_code == 200   # and it carries on
        one_more.close(), reader.close()
