"""Caller classes of the hang-up policy (挂机规范) and their sub-reasons."""

from __future__ import annotations

from enum import Enum


class CallerClass(str, Enum):
    REGULAR = "regular"          # 常规客户: serve fully, closure + 2 s wait
    NO_VALUE = "no_value"        # 无效来电: warn once, then end directly
    NON_REGULAR = "non_regular"  # 非常规客户: explain several times, then end politely
    UNKNOWN = "unknown"          # withheld or unreadable number


class SubReason(str, Enum):
    NONE = ""
    # no-value
    HARASSMENT = "harassment"
    ABUSE = "abuse"
    OUT_OF_SCOPE = "out_of_scope"
    # non-regular
    CLOSED_CASE = "closed_case"
    MUST_VISIT_BRANCH = "must_visit_branch"


SUB_REASONS: dict[CallerClass, tuple[SubReason, ...]] = {
    CallerClass.REGULAR: (SubReason.NONE,),
    CallerClass.UNKNOWN: (SubReason.NONE,),
    CallerClass.NO_VALUE: (SubReason.HARASSMENT, SubReason.ABUSE, SubReason.OUT_OF_SCOPE),
    CallerClass.NON_REGULAR: (SubReason.CLOSED_CASE, SubReason.MUST_VISIT_BRANCH),
}


def check_sub_reason(caller_class: CallerClass, sub: SubReason) -> None:
    if sub not in SUB_REASONS[caller_class]:
        raise ValueError(f"{sub.value!r} is not a sub-reason of {caller_class.value!r}")


class EndedBy(str, Enum):
    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"
    UNKNOWN = "unknown"
