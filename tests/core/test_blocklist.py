"""The blocklist's rules file, lifecycle, review queue and burst rule (issue 17), on a fake clock."""

from datetime import datetime, timedelta, timezone

import pytest

from hangup_coach.app.resources import resource_path
from hangup_coach.core import blocklist as bl
from hangup_coach.core.blocklist import Actor, BlockError, BlockRules, RulesError
from hangup_coach.core.callers import CallerClass, SubReason
from hangup_coach.core.classify import BlockNote, PastCall
from hangup_coach.core.clock import FakeClock

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
NUMBER = "+8613800138000"
AGENT, LEAD, LEAD2, MANAGER = Actor("1001", "agent"), Actor("2001", "lead"), Actor("2002", "lead"), Actor("3001", "manager")


@pytest.fixture
def rules():
    return BlockRules.from_toml(resource_path("blocklist.toml").read_text(encoding="utf-8"))


def test_the_shipped_rules_are_the_issues_defaults(rules):
    assert rules.decide["day"] == ("lead", "manager") and rules.decide["week"] == ("lead", "manager")
    assert rules.decide["month"] == ("manager",) and rules.decide["permanent"] == ("manager",)
    assert rules.four_eyes and rules.review_every == timedelta(days=30)
    assert (rules.burst.calls, rules.burst.minutes, rules.burst.no_value) == (10, 60, 3)
    assert rules.propose_roles[0] == "agent" and rules.automatic_scope() == "day"
    assert rules.length("week") == timedelta(days=7) and rules.length("permanent") is None


@pytest.mark.parametrize("text, message", [
    ('[scopes]\nday = "1 day"', r'scopes.day must be a length such as "30s"'),
    ('[scopes]\nday = "0s"', "scopes.day must be a length"),
    ('[scopes]\nday = "8d"\nweek = "7d"', "day must not be longer than week"),
    ('[decide]\nmonth = ["boss"]', r"decide.month must be a list of roles"),
    ('[decide]\nforever = ["manager"]', r"unknown key decide.forever"),
    ("[operate]\nfour_eyes = 1", "operate.four_eyes must be true or false"),
    ('[propose]\nreasons = ["Rude!"]', "propose.reasons"),
    ("[review]\nactive_every_days = 0", "review.active_every_days must be from 1"),
    ("[burst]\ncalls = 1", "burst.calls must be from 2"),
    ("[burst]\ncalls = 5\nno_value = 6", "burst.no_value .6. must not exceed burst.calls"),
    ('[burst]\nscope = "permanent"', "burst.scope must be one of day, week, month"),
    ('[burst]\nscope = "week"', r"burst.scope \(week\) is longer than automatic.longest_scope"),
    ('[never_block]\nnumbers = ["110abc"]', r"never_block.numbers: '110abc' is not a number"),
    ("[brust]\ncalls = 10", r"unknown section \[brust\]; did you mean \[burst\]"),
    ("[burst\ncalls = 10", "not valid TOML"),
])
def test_a_malformed_rules_file_is_refused_with_the_key_named(text, message):
    with pytest.raises(RulesError, match=message):
        BlockRules.from_toml(text)


def test_the_whole_lifecycle_on_a_fake_clock(rules):
    clock = FakeClock(T0)
    b = bl.propose(rules, AGENT, "b1", NUMBER, "week", "harassment", clock.now(), evidence=["c1"])
    assert (b.status, b.proposed_by, b.evidence) == ("proposed", "1001", ("c1",))
    clock.advance(60)
    b = bl.approve(rules, b, LEAD, clock.now())
    assert (b.status, b.decided_by) == ("approved", "2001")
    clock.advance(60)
    b = bl.activate(rules, b, LEAD2, clock.now())
    assert b.status == "active" and b.operated_by == "2002"
    assert b.expires_at == clock.now() + timedelta(days=7)
    assert b.review_at is None             # a week's block ends before its monthly review
    assert bl.expire(b, clock.now()) is None
    clock.advance(7 * 86400)
    done = bl.expire(b, clock.now())
    assert done.status == "expired" and done.ended_at == b.expires_at


def test_a_permanent_block_is_reviewed_monthly_and_review_moves_the_date(rules):
    b = bl.approve(rules, bl.propose(rules, LEAD, "b2", NUMBER, "permanent", "abuse", T0), MANAGER, T0)
    b = bl.activate(rules, b, LEAD, T0)
    assert b.expires_at is None and b.review_at == T0 + timedelta(days=30)
    later = T0 + timedelta(days=31)
    assert bl.review_queue([b], later).due == (b,)
    kept = bl.review(rules, b, MANAGER, later)
    assert kept.review_at == later + timedelta(days=30)
    assert len(bl.review_queue([kept], later)) == 0


def test_who_may_decide_which_scope_and_four_eyes(rules):
    proposed = bl.propose(rules, AGENT, "b3", NUMBER, "month", "abuse", T0)
    with pytest.raises(BlockError, match="role 'agent' may not decide") as agent:
        bl.approve(rules, proposed, AGENT, T0)
    with pytest.raises(BlockError, match="role 'lead' may not decide a month block") as lead:
        bl.approve(rules, proposed, LEAD, T0)
    assert agent.value.kind == lead.value.kind == "forbidden"
    approved = bl.approve(rules, proposed, MANAGER, T0)
    with pytest.raises(BlockError, match="four-eyes") as same:
        bl.activate(rules, approved, MANAGER, T0)
    assert same.value.kind == "forbidden"
    assert bl.activate(rules, approved, LEAD, T0).status == "active"
    relaxed = BlockRules.from_toml("[operate]\nfour_eyes = false")
    assert bl.activate(relaxed, approved, MANAGER, T0).operated_by == "3001"


def test_steps_out_of_order_and_bad_input_are_refused(rules):
    proposed = bl.propose(rules, AGENT, "b4", NUMBER, "day", "harassment", T0)
    with pytest.raises(BlockError) as early:
        bl.activate(rules, proposed, LEAD, T0)
    assert early.value.kind == "conflict"
    with pytest.raises(BlockError, match="unknown scope 'until'") as scope:
        bl.propose(rules, AGENT, "b5", NUMBER, "until", "harassment", T0)
    assert scope.value.kind == "invalid"
    with pytest.raises(BlockError, match="must be a phone number"):
        bl.propose(rules, AGENT, "b5", "+86138abc", "day", "harassment", T0)
    with pytest.raises(BlockError, match="unknown reason"):
        bl.propose(rules, AGENT, "b5", NUMBER, "day", "rude", T0)
    partner = BlockRules.from_toml('[never_block]\nnumbers = ["+862195555"]')
    with pytest.raises(BlockError, match="never-block"):
        bl.propose(partner, AGENT, "b5", "+862195555", "day", "harassment", T0)
    approved = bl.approve(rules, proposed, LEAD, T0)
    with pytest.raises(BlockError, match="in the past"):
        bl.activate(rules, approved, LEAD2, T0, expires_at=T0 - timedelta(seconds=1))
    with pytest.raises(BlockError, match="later than a day block lasts"):
        bl.activate(rules, approved, LEAD2, T0, expires_at=T0 + timedelta(days=2))
    short = bl.activate(rules, approved, LEAD2, T0, expires_at=T0 + timedelta(seconds=5))
    assert short.expires_at == T0 + timedelta(seconds=5)
    with pytest.raises(BlockError, match="reason is required"):
        bl.revoke(rules, short, LEAD, T0, "  ")
    with pytest.raises(BlockError, match="reason is required"):
        bl.reject(rules, proposed, LEAD, T0, "")


def test_revoke_records_who_and_why(rules):
    b = bl.activate(rules, bl.approve(rules, bl.propose(rules, AGENT, "b6", NUMBER, "day", "abuse", T0), LEAD, T0),
                    LEAD2, T0)
    with pytest.raises(BlockError, match="role 'agent' may not revoke"):
        bl.revoke(rules, b, AGENT, T0, "customer complained")
    lifted = bl.revoke(rules, b, LEAD, T0 + timedelta(hours=1), "customer complained")
    assert (lifted.status, lifted.operated_by, lifted.note) == ("revoked", "2001", "customer complained")
    with pytest.raises(BlockError) as twice:
        bl.revoke(rules, lifted, LEAD, T0, "again")
    assert twice.value.kind == "conflict"


def _calls(n, start, minutes_apart, judged_no_value=0, regular=False, prefix="c"):
    out = []
    for i in range(n):
        warned = i < judged_no_value
        out.append((f"{prefix}{i}", PastCall(
            start + timedelta(minutes=i * minutes_apart),
            CallerClass.NO_VALUE if warned else CallerClass.REGULAR,
            SubReason.HARASSMENT if warned else SubReason.NONE,
            class_source="agent" if warned else "auto",
            disposition="resolved" if regular else None)))
    return out


def test_the_burst_rule(rules):
    now = T0 + timedelta(minutes=20)
    burst = _calls(20, T0, 0.5, judged_no_value=3)          # 20 calls in 10 minutes, 3 judged no-value
    assert len(bl.burst_evidence(rules, NUMBER, burst, now)) == 20
    assert bl.burst_evidence(rules, NUMBER, _calls(20, T0, 0.5, judged_no_value=2), now) is None
    assert bl.burst_evidence(rules, NUMBER, _calls(20, T0, 0.5), now) is None
    # spread out: never 10 calls within 60 minutes
    assert bl.burst_evidence(rules, NUMBER, _calls(20, T0, 7, judged_no_value=20), T0 + timedelta(hours=3)) is None
    # an old burst, long over, does not block a number today
    assert bl.burst_evidence(rules, NUMBER, burst, T0 + timedelta(days=1)) is None
    # the coach's own no-value guesses are not people's judgements
    echoes = [(cid, PastCall(c.started_at, CallerClass.NO_VALUE, SubReason.HARASSMENT)) for cid, c in _calls(20, T0, 0.5)]
    assert bl.burst_evidence(rules, NUMBER, echoes, now) is None


def test_regular_callers_and_the_never_block_list_are_never_burst_blocked(rules):
    now = T0 + timedelta(minutes=20)
    served = _calls(3, T0 - timedelta(days=3), 60, regular=True, prefix="r")
    assert bl.burst_evidence(rules, NUMBER, _calls(20, T0, 0.5, judged_no_value=5) + served, now) is None
    partner = BlockRules.from_toml(f'[never_block]\nnumbers = ["{NUMBER}"]')
    assert bl.burst_evidence(rules, NUMBER, _calls(20, T0, 0.5, judged_no_value=5), now) is not None
    assert bl.burst_evidence(partner, NUMBER, _calls(20, T0, 0.5, judged_no_value=5), now) is None


def test_an_automatic_block_is_short_active_and_waits_for_confirmation(rules):
    b = bl.automatic(rules, "a1", NUMBER, T0, ["c1", "c2"])
    assert (b.status, b.scope, b.automatic, b.expires_at) == ("active", "day", True, T0 + timedelta(days=1))
    queue = bl.review_queue([b], T0)
    assert queue.to_confirm == (b,) and queue.due == ()
    confirmed = bl.review(rules, b, LEAD, T0 + timedelta(minutes=5))
    assert confirmed.confirmed_by == "2001" and len(bl.review_queue([confirmed], T0 + timedelta(minutes=5))) == 0
    never_long = BlockRules.from_toml('[burst]\nscope = "week"\n[automatic]\nlongest_scope = "week"')
    assert bl.automatic(never_long, "a2", NUMBER, T0, []).scope == "week"


def test_what_the_card_is_told(rules):
    proposed = bl.propose(rules, AGENT, "n1", NUMBER, "day", "abuse", T0)
    assert bl.note_for([proposed], T0, bl.LIFTED_SHOWN).state == "proposed"
    active = bl.activate(rules, bl.approve(rules, proposed, LEAD, T0), LEAD2, T0)
    note = bl.note_for([active], T0, bl.LIFTED_SHOWN)
    assert (note.state, note.reason, note.when) == ("active", "abuse", T0 + timedelta(days=1))
    after = T0 + timedelta(days=3)                     # expired two days ago, not yet swept
    assert bl.note_for([active], after, bl.LIFTED_SHOWN) == BlockNote("lifted", "", T0 + timedelta(days=1))
    assert bl.note_for([active], T0 + timedelta(days=9), bl.LIFTED_SHOWN) is None
    revoked = bl.revoke(rules, active, LEAD, T0 + timedelta(hours=2), "complaint")
    assert bl.note_for([revoked], T0 + timedelta(hours=3), bl.LIFTED_SHOWN).when == T0 + timedelta(hours=2)


def test_the_export_formats(rules):
    import csv
    import io

    from hangup_coach.core.blocklist_export import export

    def active(bid, number, scope, approver=LEAD):
        return bl.activate(rules, bl.approve(rules, bl.propose(rules, AGENT, bid, number, scope, "abuse", T0),
                                             approver, T0), LEAD2, T0)

    week = active("e1", "+8613900139000", "week")
    forever = active("e2", "+8613800138000", "permanent", approver=MANAGER)
    lifted = bl.revoke(rules, active("e3", "+8613700137000", "day"), LEAD, T0, "complaint")
    proposed = bl.propose(rules, AGENT, "e4", "+8613600136000", "day", "abuse", T0)
    blocks = [week, forever, lifted, proposed]
    now = T0 + timedelta(hours=1)

    rows = list(csv.DictReader(io.StringIO(export(blocks, "csv", now))))
    assert [(r["number"], r["scope"], r["expires_at"]) for r in rows] == [
        ("+8613800138000", "permanent", ""), ("+8613900139000", "week", "2026-12-10T09:00:00Z")]
    assert rows[1]["decided_by"] == "2001" and rows[1]["operated_by"] == "2002" and rows[1]["automatic"] == "0"

    national = export(blocks, "asterisk", now, number_form=lambda n: "0" + n[3:])
    assert national.splitlines() == [
        "database del blacklist 013700137000",
        'database put blacklist 013800138000 "hangup-coach abuse permanent"',
        'database put blacklist 013900139000 "hangup-coach abuse until 2026-12-10T09:00:00Z"',
    ]
    assert export(blocks, "freeswitch", now) == "+8613800138000\n+8613900139000\n"
    # a week later the week's block is over: gone from the list, deleted from AstDB
    assert export(blocks, "freeswitch", T0 + timedelta(days=8)) == "+8613800138000\n"
    assert "database del blacklist +8613900139000" in export([week], "asterisk", T0 + timedelta(days=8))
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export(blocks, "xml", now)
