"""For the lists that write their rows without a serializer per row (cases/api/case_rows.py,
monitoring/api/finding_rows.py): their rows against the serializer's own."""

import json

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from .conftest import ROLE_SHORT, api_client

# Each role of the owner (fr), a partner (de) and an outsider (it).
EVERY_CALLER = pytest.mark.parametrize(
    ("org", "role"), [(org, role) for org in ("fr", "de", "it") for role in ROLE_SHORT.values()])


def serialized(serializer_class, user, records) -> list[dict]:
    """`records` as `serializer_class` gives them to `user`, rendered and read back as JSON."""
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    data = serializer_class(records, many=True, context={"request": request}).data
    return json.loads(JSONRenderer().render(data))


def assert_list_is_the_serializers(user, url: str, expected_of, **params) -> list[dict]:
    """The first page of `url` for `user` is what `expected_of(user, ids)` gives for its rows'
    ids, field for field and key for key, in order."""
    response = api_client(user).get(url, params)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows, "every caller here sees some record"
    expected = expected_of(user, [row["id"] for row in rows])
    assert rows == expected
    assert [list(row) for row in rows] == [list(row) for row in expected]
    return rows
