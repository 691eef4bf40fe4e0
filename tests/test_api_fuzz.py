"""The API as a fuzzer sees it: schemathesis generates requests from `/api/schema/` and checks
every answer with all of its checks (no server error; documented status codes, content types,
headers and bodies; bad input refused; good input accepted; authentication enforced), as each
role of the owning organisation and as an outsider, over the demo data: own records, records a
partner shares, and records of organisations the caller may not see.

- `test_api`: random requests (valid and invalid) for every operation, as each actor;
- `test_api_boundaries`: the coverage phase (each parameter's boundaries, missing and wrong
  values, methods the schema does not list), as the organisation admin, whose roles reach the
  validation of every write;
- `test_api_workflows`: stateful sequences over the links schemathesis infers (a list gives the
  ids its details, updates and actions take), as each actor.

The run is bounded and derandomised: the same requests in the same order on every run.
"""

from __future__ import annotations

import io
import tempfile

import hypothesis
import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction

from config.wsgi import application

from .conftest import token_for

# Hypothesis keeps caches (Unicode tables, constants) in a folder: a temporary one, removed when
# the run ends, rather than one left in the project.
_HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="em-hypothesis-")
hypothesis.configuration.set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)

# Each role of the owning organisation, and a member of an organisation outside its group.
ACTORS = {
    "caseworker": "ngo-fr.caseworker",
    "liaison": "ngo-fr.liaison",
    "auditor": "ngo-fr.auditor",
    "org_admin": "ngo-fr.admin",
    "outsider": "ngo-it.caseworker",
}
# Per operation and actor; the coverage phase adds its own cases once, as the org admin.
EXAMPLES = 8
WORKFLOWS = 20
STEPS = 6

CHECKS = {
    # A request the schema allows may still name a record that does not exist or that the
    # caller may not use (an id, a slug, a country code, a username, a cursor), or break a
    # rule between fields (dates in order, a transition from the current status): no schema
    # can say which records exist, so those are a 400 naming the field. The fuzzer's many
    # made-up sign-ins lock its address out, as they should: a 429.
    "positive_data_acceptance": {"expected-statuses": [
        "2xx", "400", "401", "403", "404", "409", "410", "429"]},
}


def _schema(*phases: str):
    config = schemathesis.Config.from_dict({
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {name: {"enabled": name in phases}
                   for name in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": CHECKS,
    })
    return schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)


fuzzed = _schema("fuzzing", "stateful")
bounded = _schema("coverage")
SETTINGS = hypothesis.settings(
    deadline=None, derandomize=True, database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    """The demo data, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def in_process(demo_world, db):
    """Requests served inside the test's transaction: Django would otherwise close the
    connection (and lose the transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token_headers(username: str) -> dict:
    user = get_user_model().objects.get(username=username)
    return {"Authorization": f"Token {token_for(user)}"}


@pytest.fixture(params=list(ACTORS))
def actor(request, in_process) -> dict:
    """The headers of the actor's API token."""
    return _token_headers(ACTORS[request.param])


@pytest.fixture
def org_admin(in_process) -> dict:
    return _token_headers(ACTORS["org_admin"])


@fuzzed.parametrize()
@SETTINGS
def test_api(case, actor):
    case.call_and_validate(headers=actor)


@bounded.parametrize()
@SETTINGS
def test_api_boundaries(case, org_admin):
    case.call_and_validate(headers=org_admin)


def test_api_workflows(actor):
    class Workflow(fuzzed.as_state_machine()):
        def get_call_kwargs(self, case):
            return {**super().get_call_kwargs(case), "headers": actor}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token is the actor's own, not generated: the checks probe without it.
            case.validate_response(response, additional_checks=additional_checks, headers=actor,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    Workflow.run(settings=hypothesis.settings(
        SETTINGS, max_examples=WORKFLOWS, stateful_step_count=STEPS,
    ))
