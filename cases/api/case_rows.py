"""A page of the cases list, written out without a serializer per row.

`CaseSerializer` builds some 250 objects' worth of fields for a page of 50 cases, and that,
not the database, was most of the page's time. `case_rows` gives exactly the answer
`CaseSerializer(page, many=True)` gives to the same caller (tests/cases/test_case_rows.py
compares the two for every role of an owner, a partner and an outsider), from the page's
cases and four flat queries for what hangs off them. A field added to the serializer must be
added here: the comparison fails until it is.
"""

from __future__ import annotations

from collections import defaultdict

from rest_framework import serializers

from .. import policy
from ..models import Case, Offence, ProceedingEvent, SubjectNationality
from ..models.cases import TRANSITIONS
from ..selectors import consultation_duty

_moment = serializers.DateTimeField().to_representation


def moment(value) -> str | None:
    """A moment as the serializers' own fields write it (ISO 8601, the current time zone)."""
    return None if value is None else _moment(value)


def _day(value) -> str | None:
    return value.isoformat() if value else None


def text(value) -> str | None:
    """Text as the serializers' own fields write it."""
    return None if value is None else str(value)


def own_fields(model) -> list[str]:
    """The fields of `model` a page's query reads for its rows: all but the record key (for the
    record's counts) and who created the record, which no row shows."""
    return [field.name for field in model._meta.concrete_fields
            if field.name not in ("record_key", "created_by")]


_JOINED = ("owner", "subject", "requested_state", "caseworker")
# What a row reads of them: not the subject's sealed identity, which the list never shows.
_READ = ("owner__slug", "owner__name", "owner__kind", "owner__country", "subject__reference",
         "requested_state__eu_member", "requested_state__eea_member", "caseworker__username")


def joined(queryset):
    """Each case with what hangs off it in one row: its owner, subject, requested state and
    caseworker."""
    return queryset.select_related(*_JOINED)


def list_queryset(queryset):
    """What the rows read of each case in the page's own query: its own fields but those no
    row shows, and of what hangs off it only what a row names."""
    return joined(queryset).only(*own_fields(Case), *_READ)


def case_rows(cases: list[Case], user) -> list[dict]:
    """The cases as the API shows them to `user`, who may see each of them."""
    if not cases:
        return []
    mine = policy.roles(user)
    owned = [case.pk for case in cases if case.owner_id in mine]
    offences = _offences([case.pk for case in cases])
    recipients = _named_recipients(owned)
    duties = _consultations(cases)
    may_move = {
        org: policy.has_right(user, org, policy.Resource.CASE, policy.Action.TRANSITION)
        for org in {case.owner_id for case in cases}
    }
    return [_row(case, case.owner_id in mine, offences, recipients, duties, may_move)
            for case in cases]


def _row(case, own: bool, offences, recipients, duties, may_move) -> dict:
    owner = case.owner
    row = {
        "id": str(case.pk),
        "reference": case.reference,
        "owner": {"slug": owner.slug, "name": owner.name, "kind": owner.kind,
                  "country": owner.country_id},
        "subject": str(case.subject_id),
        "subject_reference": case.subject.reference,
        "requesting_state": case.requesting_state_id,
        "requested_state": case.requested_state_id,
        "channel": case.channel,
        "legal_instrument": case.legal_instrument_id,
    }
    if own:
        row["legal_basis_note"] = text(case.legal_basis_note)
    row["offences"] = [
        {"description": description, "category": category, "max_penalty": max_penalty}
        if own else {"category": category}
        for description, category, max_penalty in offences[case.pk]
    ]
    row["interpol_notice"] = case.interpol_notice
    if own:
        row["interpol_reference"] = text(case.interpol_reference)
    row.update(
        request_date=_day(case.request_date),
        arrest_date=_day(case.arrest_date),
        decision_date=_day(case.decision_date),
        surrender_date=_day(case.surrender_date),
        status=case.status,
        status_changed_on=_day(case.status_changed_on),
        closure_reason=case.closure_reason,
        allowed_transitions=list(TRANSITIONS[case.status]) if may_move[case.owner_id] else [],
        nationality_consultation=duties[case.pk],
        distribution=case.distribution,
        sharing_group=case.sharing_group_id,
        tlp=case.tlp,
    )
    if own:
        row["named_recipients"] = recipients[case.pk]
        row["caseworker"] = case.caseworker.username if case.caseworker_id else None
    row.update(created_at=moment(case.created_at), updated_at=moment(case.updated_at),
               version=case.version)
    return row


def _offences(case_ids) -> dict:
    by_case = defaultdict(list)
    rows = (Offence.objects.filter(case_id__in=case_ids).order_by("id")
            .values_list("case_id", "description", "category", "max_penalty"))
    for case_id, *offence in rows:
        by_case[case_id].append(offence)
    return by_case


def _named_recipients(case_ids) -> dict:
    """Only the owner's members see who is named; the others' cases are not asked for."""
    by_case = defaultdict(list)
    if case_ids:
        through = Case.named_recipients.through.objects
        rows = (through.filter(case_id__in=case_ids).order_by("user__username")
                .values_list("case_id", "user__username"))
        for case_id, username in rows:
            by_case[case_id].append(username)
    return by_case


def _consultations(cases) -> dict:
    """Each case's `nationality_consultation`: the duty arises only where the requested state is
    in the EU or the EEA, so only those cases' subjects' nationalities are read."""
    bound = [case for case in cases if case.requested_state.in_eu_or_eea]
    nationalities = defaultdict(list)
    recorded = defaultdict(set)
    if bound:
        rows = SubjectNationality.objects.filter(
            subject_id__in={case.subject_id for case in bound}
        ).values_list("subject_id", "country_id", "country__eu_member", "country__eea_member",
                      "lost_on")
        for subject_id, country, eu, eea, lost_on in rows:
            nationalities[subject_id].append((country, eu or eea, lost_on))
        consulted = ProceedingEvent.objects.filter(
            case_id__in=[case.pk for case in bound],
            kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION,
        ).values_list("case_id", "consulted_state_id")
        for case_id, state in consulted:
            recorded[case_id].add(state)
    return {
        case.pk: consultation_duty(case.requested_state_id, case.requested_state.in_eu_or_eea,
                                   nationalities[case.subject_id], recorded[case.pk])
        for case in cases
    }
