"""The cards' own records (calls, notes, block proposals, QA reviews), pushed offline-first.

Each stays its author's: only the person who wrote a record may change it. Who may write a record
about whose call is decided by the permission module: a note only on one's own call, a review of a
call within the reviewer's reach (a lead's team, a QA reviewer's site). A note or a review names a
call the server has (or that comes in the same batch).

Cards already in the field push block decisions as `block_proposal` records with a status: a
proposal (status "proposed") is taken as a proposal; any other status (a lead's old card
activating, expiring or revoking a block) is refused by the wire format (wire.UpgradeRequired),
whole batch, with a message that says to upgrade: block decisions are server commands now.
"""

from __future__ import annotations

from ... import wire
from .. import permissions
from ..permissions import Denied, Place
from ..storage import Device, Storage

WRITE_ACTION = {
    "call": permissions.CALL_WRITE,
    "note": permissions.NOTE_WRITE,
    "block_proposal": permissions.BLOCK_PROPOSE,
    "qa_review": permissions.QA_REVIEW_WRITE,
}
ABOUT_A_CALL = {"note", "qa_review"}              # records that name the call they are about
AUDITED = frozenset({"block_proposal", "qa_review"})   # shared records: every change is audited
def push(storage: Storage, device: Device, batch: wire.Push, check=None) -> tuple[list[dict], str, float]:
    """Store a validated batch if every record of it may be written by `device`; else nothing.
    `check()`: a domain module's own checks, after the permission module's first ones."""
    if not any(permissions.grant(device, action) for action in WRITE_ACTION.values()):
        raise Denied(f"a {device.role} device may not push records")
    if batch.device_id != device.id:
        raise Denied("device_id is not the device this token belongs to")
    for index, record in enumerate(batch.records):
        if record.owner is not None and record.owner != device.agent_id:
            raise Denied(f"record {index}: agent {device.agent_id} may not push agent {record.owner}'s {record.kind}")
        permissions.check(device, WRITE_ACTION[record.kind], device.place)   # a role without the grant at all

    if check is not None:
        check()

    def authorise(index: int, record: wire.Record, stored: Place | None, call: Place | None) -> None:
        if stored is not None and stored.agent_id != device.agent_id:
            raise Denied(f"record {index}: {record.kind} {record.id} belongs to another agent")
        if record.kind == "call":
            return                                     # a new call, or the device's own: own by definition
        if record.kind in ABOUT_A_CALL:
            if call is None:
                raise wire.WireError(f"record {index}: call {record.call_id} is not on the server "
                                     f"(push the call first)", index)
            permissions.check(device, WRITE_ACTION[record.kind], call, f"record {index}'s call {record.call_id}")
        else:
            permissions.check(device, WRITE_ACTION[record.kind], device.place)

    return storage.push(device, batch, authorise, AUDITED)
