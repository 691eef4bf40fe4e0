"""What each server process does once it has loaded the application."""

import gc

import pytest


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_worker_freezes_what_is_loaded_and_still_collects_what_requests_leave(unfrozen):
    from config import gunicorn
    from config.urls import urlpatterns

    assert gc.get_freeze_count() == 0
    gunicorn.post_worker_init(worker=None)

    assert gc.get_freeze_count() > 10_000
    # Out of the collector's sight: a full pass no longer walks the loaded application.
    assert not any(obj is urlpatterns for obj in gc.get_objects())
    # What requests allocate afterwards is still collected.
    cycle = []
    cycle.append(cycle)
    assert gc.is_tracked(cycle)
    del cycle
    assert gc.collect() >= 1
