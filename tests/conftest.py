"""What every test shares."""

import gc

import pytest


@pytest.fixture(autouse=True)
def collect_garbage_at_a_safe_point():
    """Free each test's garbage right after it, outside Qt's event dispatch.

    Qt objects left in reference cycles (a controller and its worker, a window and its slots)
    are otherwise freed by whichever allocation next triggers Python's collector, which can be
    in the middle of Qt delivering a queued signal to that very object in a later test: CI died
    of that once (a segfault in tests/faults/test_random_path.py, 'Garbage-collecting')."""
    yield
    gc.collect()
