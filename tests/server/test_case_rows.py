"""How one case row is read (server/domain/cases.py): pure, no server needed."""

import pytest

from hangup_coach.server.domain.cases import CaseError, parse_csv, parse_json

HEADER = "number,case_id,closed_at,branch_only\n"


def one(closed_at: str = "", branch_only: str = "0", number: str = "13800138000"):
    [case] = parse_csv(HEADER + f"{number},TS-1,{closed_at},{branch_only}\n")
    return case


def test_times_are_read_as_china_time_unless_they_say_otherwise():
    assert one("2026-11-20T15:30").closed_at == "2026-11-20T07:30:00.000000+00:00"
    assert one("2026-11-20T15:30:00Z").closed_at == "2026-11-20T15:30:00.000000+00:00"
    assert one("2026-11-20T15:30:00-05:00").closed_at == "2026-11-20T20:30:00.000000+00:00"
    # a date alone: from the end of that day (China time), so the closing day's own calls never count
    assert one("2026-11-20").closed_at == "2026-11-20T16:00:00.000000+00:00"
    assert one("").closed_at is None


def test_numbers_are_normalised_and_flags_read_in_both_languages():
    assert one(number="１３８ ００１３ ８０００").number == "+8613800138000"   # a CRM's full-width digits
    assert one(number="+86 138-0013-8000").number == "+8613800138000"
    assert [one(branch_only=v).branch_only for v in ("1", "yes", "是", "YES", "true")] == [True] * 5
    assert [one(branch_only=v).branch_only for v in ("0", "no", "否", "")] == [False] * 4


def test_a_bom_and_blank_lines_are_fine_but_conflicting_rows_are_refused():
    cases = parse_csv("\ufeff" + HEADER + "13800138000,TS-1,,1\n\n13800138000,TS-1,,yes\n")
    assert len(cases) == 1                                   # the same facts twice: one case
    with pytest.raises(CaseError) as refused:
        parse_csv(HEADER + "13800138000,TS-1,,1\n13800138000,TS-2,,1\n")
    assert refused.value.where == "line 3" and "line 2" in str(refused.value)
    assert "13800138000" not in str(refused.value)          # masked: 138****8000
    with pytest.raises(CaseError, match="line 2: more fields"):
        parse_csv(HEADER + "13800138000,TS-1,,1,extra\n")


def test_json_rows_take_booleans_and_null():
    [case] = parse_json([{"number": "+8613800138000", "case_id": " TS-1 ", "closed_at": None, "branch_only": True}])
    assert (case.case_id, case.closed_at, case.branch_only) == ("TS-1", None, True)
    with pytest.raises(CaseError, match="case 0: branch_only"):
        parse_json([{"number": "+8613800138000", "case_id": "TS-1", "branch_only": 2}])
