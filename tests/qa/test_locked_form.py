"""A batch locks its form: a form changed under the same version is refused for it, a new version is not mixed in."""

from __future__ import annotations

import pytest

from hangup_coach.app.qa import batch_form, load_form
from hangup_coach.app.resources import resource_path
from hangup_coach.core.qa_form import FormError
from hangup_coach.store import qa as qa_store

from .conftest import NOW, batch_json


def test_a_locked_batch_rejects_a_changed_form(qa_db, tmp_path):
    form = load_form("standard")
    qa_store.save_batch(qa_db, batch_json(form, 2), NOW)
    batch = qa_store.batch(qa_db, "batch-1")
    config = tmp_path / "config"
    (config / "qa").mkdir(parents=True)
    shipped = resource_path("qa", "standard.toml").read_text(encoding="utf-8")
    assert batch_form(batch, config).fingerprint == form.fingerprint      # the same form: fine

    changed = shipped.replace('{ key = "too_late", zh_CN = "挂机过晚", en = "Too late" },', "")
    assert changed != shipped
    (config / "qa" / "standard.toml").write_text(changed, encoding="utf-8")
    with pytest.raises(FormError, match="differs from the one batch batch-1 locked: raise the form's version"):
        batch_form(batch, config)

    # raised to version 2, the centre's new form is its own: the batch keeps the one it locked
    (config / "qa" / "standard.toml").write_text(changed.replace("version = 1", "version = 2"), encoding="utf-8")
    assert load_form("standard", config).version == 2
    kept = batch_form(batch, config)
    assert kept.version == 1 and kept.fingerprint == form.fingerprint
    assert "too_late" in [o.key for o in kept.by_role("verdict").options]

    # a batch whose carried form text was tampered with is refused too
    batch["form_source"] = changed
    with pytest.raises(FormError, match="does not match its fingerprint"):
        batch_form(batch, config)
