"""What one call adds to each figure of its `core.stats.Tally`, as SQLite expressions over a call
row: the one place these rules are written. The card's kept tallies (store/tallies.py) and the
server's report (server/domain/reports.py) both add them up. `{r}` is the row's prefix ("NEW.",
"c." or ""); times are UTC ISO-8601 text, as stored.
"""

from __future__ import annotations


def seconds_between(later: str, earlier: str) -> str:
    return f"(julianday({later}) - julianday({earlier})) * 86400.0"


# What one call row `r` adds to each column of its cell (NULL adds nothing).
ROW = {
    "calls": "1",
    "answered": "{r}answered_at IS NOT NULL",
    "agent_ended": "{r}ended_by = 'agent'",
    "customer_ended": "{r}ended_by = 'customer'",
    "other_ended": "{r}ended_at IS NOT NULL AND ({r}ended_by IS NULL OR {r}ended_by NOT IN ('agent', 'customer'))",
    "handled": "{r}answered_at IS NOT NULL AND {r}ended_at IS NOT NULL",
    "handle_seconds": "CASE WHEN {r}answered_at IS NOT NULL AND {r}ended_at IS NOT NULL THEN "
                      + seconds_between("{r}ended_at", "{r}answered_at") + " END",
    "allowed": "{r}hangup_allowed_at IS NOT NULL",
    "after_allowed_seconds": "CASE WHEN {r}ended_at > {r}hangup_allowed_at THEN "
                             + seconds_between("{r}ended_at", "{r}hangup_allowed_at") + " END",
    "left_in_grace": "{r}customer_hung_up_in_grace",
    "agent_after_prompt": "{r}ended_by = 'agent' AND {r}ended_at >= {r}hangup_prompted_at",
    "agent_before_closure": "{r}ended_by = 'agent' AND {r}answered_at IS NOT NULL AND {r}closure_confirmed_at IS NULL"
                            " AND {r}hangup_allowed_at IS NULL",
    "agent_in_wait": "{r}ended_by = 'agent' AND {r}closure_confirmed_at IS NOT NULL AND {r}hangup_allowed_at IS NULL",
    "agent_early": "{r}agent_ended_early",
    "explanations": "{r}explanations",
    "warnings": "{r}warnings",
}
