"""The server's scheduled jobs, in one list (domain/jobs.py runs them): the same in every
`hangup-coach server` process and in `hangup-coach server worker`, configured from the environment
the command line sets (cli.py), so `--workers N` children and worker processes agree."""

from __future__ import annotations

import os

from ..storage import Storage
from .jobs import Scheduler
from .retention import DEFAULT_DAYS, Retention

EVIDENCE_DAYS_ENV = "HANGUP_COACH_EVIDENCE_DAYS"            # the retention window (days, default 90)
RETENTION_EVERY_ENV = "HANGUP_COACH_RETENTION_EVERY"        # seconds between its runs (default 3600)
TICK_ENV = "HANGUP_COACH_JOBS_TICK"                         # seconds between lease renewals (default 5)


def from_env(storage: Storage) -> Scheduler:
    retention = Retention(storage, float(os.environ.get(EVIDENCE_DAYS_ENV, DEFAULT_DAYS)))
    tick = float(os.environ.get(TICK_ENV, "5"))
    return Scheduler(storage, [retention.job(float(os.environ.get(RETENTION_EVERY_ENV, "3600")))],
                     tick=tick, lease_seconds=max(60.0, 3 * tick))
