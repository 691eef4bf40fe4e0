"""Finding subjects by name without names in the database: the keyed index of `cases.crypto`.

A search matches a subject whose whole name (or one of its other names) is the query, or
whose names hold every word of the query, case and accents aside.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from . import crypto
from .models import SubjectNameDigest


def _has(digest: str, subject_ref: str) -> Exists:
    return Exists(SubjectNameDigest.objects.filter(subject_id=OuterRef(subject_ref),
                                                   digest=digest))


def ways_to_match(query: str, subject_ref: str = "pk") -> list[Q]:
    """The conditions, any of which means that a subject's names match `query`: its whole
    name, and every one of its words; none for a query without a word. Each alone is joined
    through the index of digests; a search unions the records each finds."""
    whole, words = crypto.query_digests(query)
    if whole is None:
        return []
    all_words = Q()
    for word in words:
        all_words &= Q(_has(word, subject_ref))
    return [Q(_has(whole, subject_ref)), all_words]


def matches(query: str, subject_ref: str = "pk") -> Q:
    """A condition on a query of subjects (or, with `subject_ref="subject_id"`, of cases):
    its subject's names match `query`."""
    ways = ways_to_match(query, subject_ref)
    if not ways:
        return Q(pk__in=[])
    whole, all_words = ways
    return whole | all_words
