"""After listening: the meeting sheet a batch's reviews roll up into, and the actions it leads to.

The seed's three actions: hold the meeting (the sheet: root causes counted, good techniques with
the calls they were heard in, the policy verdicts per agent, and the agents' own "the policy did
not fit this call"), train, and follow up on the result, checked rather than assumed: every
action names the figure that should move, and shows it before and after.

Pure: reviews, calls and tallies are handed in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .qa_form import Form
from .stats import Tally, ratio

MISFIT_EXAMPLES = 3   # calls shown per "policy did not fit" reason
# The preset reasons an agent gives in the wrap-up for "the policy did not fit this call".
MISFIT_REASONS = ("customer_distressed", "complex_request", "vulnerable_customer", "wrong_class", "other")


@dataclass(frozen=True)
class Review:
    call_id: str
    agent_id: str           # whose call it was
    answers: dict


@dataclass(frozen=True)
class Misfit:
    """An agent's one click in the wrap-up: the policy did not fit this call (with a preset reason)."""
    call_id: str
    agent_id: str
    reason: str


@dataclass
class MeetingSheet:
    reviewed: int = 0
    root_causes: dict[str, int] = field(default_factory=dict)          # option key → reviews naming it
    techniques: dict[str, list[str]] = field(default_factory=dict)     # option key → call ids
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # agent → verdict key → reviews
    misfits: dict[str, int] = field(default_factory=dict)              # reason → calls
    misfit_agents: dict[str, int] = field(default_factory=dict)        # agent → calls
    misfit_examples: dict[str, list[str]] = field(default_factory=dict)


def roll_up(form: Form, reviews: list[Review], misfits: list[Misfit] = ()) -> MeetingSheet:
    """The sheet for one batch's reviews (all made with `form`) and the misfits of its period."""
    sheet = MeetingSheet(reviewed=len(reviews))
    causes, techniques, verdict = form.by_role("root_causes"), form.by_role("technique"), form.by_role("verdict")
    if causes:
        counted = Counter(k for r in reviews for k in r.answers.get(causes.key) or ())
        sheet.root_causes = {o.key: counted[o.key] for o in causes.options}
    if techniques:
        sheet.techniques = {o.key: sorted(r.call_id for r in reviews if o.key in (r.answers.get(techniques.key) or ()))
                            for o in techniques.options}
    if verdict:
        for r in sorted(reviews, key=lambda r: r.agent_id):
            row = sheet.verdicts.setdefault(r.agent_id, {o.key: 0 for o in verdict.options})
            if r.answers.get(verdict.key) in row:
                row[r.answers[verdict.key]] += 1
    for m in sorted(misfits, key=lambda m: m.call_id):
        sheet.misfits[m.reason] = sheet.misfits.get(m.reason, 0) + 1
        sheet.misfit_agents[m.agent_id] = sheet.misfit_agents.get(m.agent_id, 0) + 1
        examples = sheet.misfit_examples.setdefault(m.reason, [])
        if len(examples) < MISFIT_EXAMPLES:
            examples.append(m.call_id)
    return sheet


# ----- actions ----------------------------------------------------------------------------------
ACTION_KINDS = ("training", "process", "system")
ACTION_STATES = ("open", "in_progress", "done", "verified", "dropped")
TRANSITIONS = {
    "open": ("in_progress", "dropped"),
    "in_progress": ("done", "dropped"),
    "done": ("verified", "in_progress"),     # the figure did not move: back to work
    "verified": (),
    "dropped": (),
}
# The figures an action can name, and which way is better.
FIGURES = {
    "early_rate": "down",     # the agent's calls ended before the policy allowed, per answered call
    "agent_share": "up",      # calls the agent ended / calls ended by agent or customer
}


class ActionError(ValueError):
    """A change an action cannot make (its state machine, its figure)."""


def check_transition(current: str, new: str) -> None:
    if current not in TRANSITIONS:
        raise ActionError(f"unknown action state {current!r}")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "none (final)"
        raise ActionError(f"an action that is {current!r} cannot become {new!r} (allowed: {allowed})")


def check_figure(figure: str) -> None:
    if figure not in FIGURES:
        raise ActionError(f"unknown figure {figure!r} (use {', '.join(FIGURES)})")


def figure_value(figure: str, tally: Tally) -> float | None:
    check_figure(figure)
    if figure == "early_rate":
        return ratio(tally.agent_early, tally.answered)
    return tally.agent_share


@dataclass(frozen=True)
class FollowUp:
    figure: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before

    @property
    def moved_as_hoped(self) -> bool | None:
        """True when the figure moved the better way; None while either side has no calls."""
        if self.change is None:
            return None
        return self.change < 0 if FIGURES[self.figure] == "down" else self.change > 0


def follow_up(figure: str, before: Tally, after: Tally) -> FollowUp:
    return FollowUp(figure, figure_value(figure, before), figure_value(figure, after))
