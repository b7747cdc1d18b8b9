"""Classification of a caller from what the centre knows about the number.

Returns the class, its sub-reason and a structured `Reason` (a key plus parameters) that
`ScriptBook.render_reason` turns into the one human line shown on the card.

Evidence, not echoes. A past call counts only for what an agent judged on it, never for the
class the coach assigned by itself (that would feed the coach's own guess back as proof):

- a reclassification (`class_source = 'agent'`) is that class;
- warnings given (or the outcome `warned_and_ended`) make it a no-value call;
- explanations counted on a non-regular call (or the outcome `explained` on one) make it
  non-regular;
- anything else is no evidence about the class (it still counts as "a call").

The latest agent reclassification of a number wins: calls before it are no longer evidence,
and, unless enough no-value judgements came after it, the next call gets its class. Order of
the rules: withheld → active block → no-value judgements → latest reclassification → the
centre's case profile → non-regular judgements → regular.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .callers import CallerClass, SubReason
from .phone import Number
from .policy import Policy


@dataclass(frozen=True)
class PastCall:
    """One earlier call of the number (this agent's, or a team row of the same shape)."""

    started_at: datetime
    caller_class: CallerClass
    sub_reason: SubReason = SubReason.NONE
    class_source: str = "auto"               # 'agent' after a reclassification
    warnings: int = 0
    explanations: int = 0
    disposition: str | None = None

    @property
    def corrected(self) -> bool:
        return self.class_source == "agent"

    def judged(self) -> CallerClass | None:
        """The class an agent's own actions on this call stand for, or None (no evidence)."""
        if self.corrected:
            return self.caller_class
        if self.warnings > 0 or self.disposition == "warned_and_ended":
            return CallerClass.NO_VALUE
        if self.caller_class is CallerClass.NON_REGULAR and (self.explanations > 0 or self.disposition == "explained"):
            return CallerClass.NON_REGULAR
        return None


@dataclass(frozen=True)
class CallerProfile:
    """What the centre's records say about a number (pulled from the server, or seeded)."""

    case_id: str | None = None
    case_closed_at: datetime | None = None   # set when the complaint has a final result
    branch_only: bool = False                # the request can only be handled at a branch


@dataclass(frozen=True)
class BlockNote:
    """The blocklist's word on a number. Only an active block makes the caller no-value (the call
    came around the IVR's screening); a lifted or merely proposed one is only mentioned."""

    state: str                 # active | proposed | lifted
    reason: str                # the block's preset reason key
    when: datetime | None      # active: until (None = permanent); lifted: when it ended


@dataclass(frozen=True)
class CallerHistory:
    past_calls: tuple[PastCall, ...] = ()    # newest first, this call not included
    profile: CallerProfile | None = None
    block: BlockNote | None = None


@dataclass(frozen=True)
class Reason:
    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Classification:
    caller_class: CallerClass
    sub_reason: SubReason
    reason: Reason
    note: Reason | None = None     # said after the reason: the number's block, when there is one


def classify(number: Number, history: CallerHistory, policy: Policy, now: datetime) -> Classification:
    if not number.known:
        return Classification(CallerClass.UNKNOWN, SubReason.NONE, Reason("withheld"))
    found = _classify(history, policy, now)
    note = _block_note(history.block)
    return Classification(found.caller_class, found.sub_reason, found.reason, note) if note else found


def _block_note(block: BlockNote | None) -> Reason | None:
    if block is None:
        return None
    if block.state == "active":
        return Reason("block_active", {"until": block.when}) if block.when else Reason("block_permanent")
    if block.state == "lifted":
        return Reason("block_lifted", {"last": block.when})
    return Reason("block_proposed")


def _classify(history: CallerHistory, policy: Policy, now: datetime) -> Classification:
    if history.block is not None and history.block.state == "active":
        sub = SubReason(history.block.reason) if history.block.reason in _NO_VALUE_KEYS else SubReason.HARASSMENT
        return Classification(CallerClass.NO_VALUE, sub, Reason("blocklisted", {"sub": sub.value}))

    recent = [c for c in history.past_calls if c.started_at >= now - timedelta(days=policy.history_days)]
    correction = max((c for c in recent if c.corrected), key=lambda c: c.started_at, default=None)
    evidence = [c for c in recent if correction is None or c.started_at >= correction.started_at]
    no_value = [c for c in evidence if c.judged() is CallerClass.NO_VALUE]
    if no_value and (len(no_value) >= policy.no_value_min_calls or correction in no_value):
        sub = Counter(c.sub_reason for c in no_value).most_common(1)[0][0]
        if sub not in _NO_VALUE:
            sub = SubReason.HARASSMENT
        last = max(c.started_at for c in no_value)
        return Classification(CallerClass.NO_VALUE, sub, Reason(
            "recent_no_value",
            {"count": len(no_value), "days": policy.history_days, "sub": sub.value, "last": last},
        ))
    if correction is not None and correction.caller_class is not CallerClass.NO_VALUE:
        sub = correction.sub_reason if correction.caller_class is CallerClass.NON_REGULAR else SubReason.NONE
        return Classification(correction.caller_class, sub, Reason(
            "agent_corrected", {"class": correction.caller_class.value, "sub": sub.value, "last": correction.started_at},
        ))

    profile = history.profile
    if profile and profile.case_id and profile.case_closed_at:
        since_closed = [c for c in history.past_calls if c.started_at >= profile.case_closed_at]
        in_window = [c for c in since_closed if c.started_at >= now - timedelta(days=policy.repeat_window_days)]
        if since_closed:  # it keeps calling after the final result
            return Classification(CallerClass.NON_REGULAR, SubReason.CLOSED_CASE, Reason(
                "closed_case_repeat",
                {"nth": len(in_window) + 1, "days": policy.repeat_window_days,
                 "case": profile.case_id, "closed": profile.case_closed_at},
            ))
    if profile and profile.branch_only:
        return Classification(CallerClass.NON_REGULAR, SubReason.MUST_VISIT_BRANCH, Reason("branch_only"))

    non_regular = [c for c in evidence if c.judged() is CallerClass.NON_REGULAR]
    if non_regular:
        last = max(non_regular, key=lambda c: c.started_at)
        sub = last.sub_reason if last.sub_reason in _NON_REGULAR else SubReason.CLOSED_CASE
        return Classification(CallerClass.NON_REGULAR, sub, Reason(
            "previous_non_regular", {"sub": sub.value, "last": last.started_at},
        ))

    if recent:
        return Classification(CallerClass.REGULAR, SubReason.NONE, Reason(
            "regular_known", {"count": len(recent), "days": policy.history_days},
        ))
    return Classification(CallerClass.REGULAR, SubReason.NONE, Reason("regular_first"))


_NO_VALUE = (SubReason.HARASSMENT, SubReason.ABUSE, SubReason.OUT_OF_SCOPE)
_NO_VALUE_KEYS = tuple(s.value for s in _NO_VALUE)
_NON_REGULAR = (SubReason.CLOSED_CASE, SubReason.MUST_VISIT_BRANCH)
