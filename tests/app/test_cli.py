"""`calls --unmasked`: QA sees what came in when it is not a number."""

import io

from hangup_coach.app.cli import print_calls


def test_calls_unmasked_prints_what_came_in_when_it_is_not_a_number():
    row = {"caller_number": None, "caller_raw": "13800\ufffd", "customer_hung_up_in_grace": 0,
           "agent_ended_early": 0}
    out = io.StringIO()
    print_calls([row], "csv", unmasked=True, out=out)
    assert "13800\ufffd" in out.getvalue()
    out = io.StringIO()
    print_calls([dict(row, caller_raw="")], "csv", unmasked=True, out=out)
    assert "withheld" in out.getvalue()
