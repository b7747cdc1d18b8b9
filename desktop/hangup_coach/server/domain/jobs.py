"""The server's scheduled background work (issue 16, "Background work"): each job runs every so
often in exactly one of the processes serving a database, whichever holds its lease.

A job is a name, an interval and a function. The scheduler is a thread (in every `hangup-coach
server` process, and alone in `hangup-coach server worker`); for each job it takes or renews the
job's lease (storage/leases.py) and runs the job when it is due. Two schedulers run in each
process: the scheduled jobs of domain/schedule.py (ticking every 5 s), and the blocklist's work
(domain/blocklist.py `background`: every second and whenever a block changes), so an hour-long
retention run never holds a block's way to Kamailio up. A process that dies stops renewing; another takes the lease over once it has run out and
runs the job from then on. "Due" is kept in the lease holder's memory: a process that takes a job
over runs it at once (every job is safe to run again). A failing run is logged and tried at the
next interval; it never stops the thread. A run longer than the lease renews it as it goes
(the function it is given), so no other process starts the same job meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from ..storage.leases import Lease

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: float                 # seconds between runs (0: at every tick, and whenever woken)
    # One run; returns a line for the log (None: nothing worth one). Its argument renews the lease
    # and says whether this process still holds it: a long run calls it between steps and stops
    # when it says False.
    run: Callable[[Callable[[], bool]], str | None]
    lease: str = ""              # the lease's name; "": job:<name>
    taken: Callable[[], None] | None = None     # called when this process takes the job (over)
    close: Callable[[], None] | None = None     # called once the scheduler has stopped


class Scheduler:
    def __init__(self, storage, jobs: list[Job], tick: float = 5.0, lease_seconds: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic, wake: threading.Event | None = None) -> None:
        """`wake`: an event that, set, makes the scheduler step at once rather than at its next tick."""
        self.jobs = jobs
        self.tick, self.monotonic = tick, monotonic
        ttl = timedelta(seconds=max(lease_seconds, 3 * tick))
        self.leases = {job.name: Lease(storage, job.lease or f"job:{job.name}", ttl) for job in jobs}
        self.wake = wake or threading.Event()
        self.holding: set[str] = set()
        self.runs: dict[str, int] = {job.name: 0 for job in jobs}      # this process's runs (tests, logs)
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="server-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread.is_alive():
            self._thread.join(30)
        for name in list(self.holding):
            try:
                self.leases[name].release()      # another process takes over at once
            except Exception:                    # the database is away: the lease runs out by itself
                log.exception("server jobs: releasing the lease of %s", name)
        self.holding.clear()
        for job in self.jobs:
            if job.close is not None:
                job.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            self.step()
            if not self._stop.is_set():
                self.wake.wait(self.tick)

    def step(self) -> None:
        """Renew or take each job's lease; run the jobs held and due."""
        for job in self.jobs:
            try:
                held = self.leases[job.name].hold()
            except Exception:
                log.exception("server jobs: the lease of %s", job.name)
                held = False
            if held and job.name not in self.holding:
                log.info("this server process runs the job %s (%s)", job.name, self.leases[job.name].holder)
                self._due[job.name] = self.monotonic()
                try:
                    if job.taken is not None:
                        job.taken()
                except Exception:                # like a failing run: logged, the thread goes on
                    log.exception("job %s: taking it over", job.name)
            elif not held and job.name in self.holding:
                log.warning("the job %s moved to another server process", job.name)
            self.holding.discard(job.name)
            if not held:
                continue
            self.holding.add(job.name)
            if self.monotonic() < self._due[job.name] or self._stop.is_set():
                continue
            self._due[job.name] = self.monotonic() + job.every
            try:
                line = job.run(self.leases[job.name].hold)
                if line:
                    log.info("job %s: %s", job.name, line)
            except Exception:
                log.exception("job %s failed; it runs again in %s s", job.name, job.every)
            self.runs[job.name] += 1
