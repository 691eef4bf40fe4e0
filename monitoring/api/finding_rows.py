"""A page of the findings list, written out without a serializer per row, as the cases list's
(cases/api/case_rows.py): exactly what `FindingSerializer(page, many=True)` gives the same
caller (tests/monitoring/test_finding_rows.py compares the two for every role of an owner, a
partner and an outsider). A field added to the serializer must be added here: the comparison
fails until it is.
"""

from __future__ import annotations

from cases import policy
from cases.api.case_rows import moment, own_fields, text

from ..models import Finding

# What the rows read of a finding's case and assurance: the page's query reads no more of them.
_JOINED = ("case__reference", "case__requesting_state", "case__owner", "assurance__type")


def list_queryset(queryset):
    """What the rows read of each finding in the page's own query: its own fields but those
    no row shows, and of its case and assurance only what a row names."""
    return queryset.select_related("case", "assurance").only(*own_fields(Finding), *_JOINED)


def finding_rows(findings: list[Finding], user) -> list[dict]:
    """The findings as the API shows them to `user`, who may see each of them."""
    mine = policy.roles(user)
    return [_row(finding, finding.case.owner_id in mine) for finding in findings]


def _row(finding: Finding, own: bool) -> dict:
    case = finding.case
    assurance = finding.assurance
    row = {
        "id": str(finding.pk),
        "case": finding.case_id,
        "case_reference": case.reference,
        "requesting_state": case.requesting_state_id,
        "assurance": finding.assurance_id,
        "assurance_type": assurance.type if assurance is not None else None,
        "report": finding.report_id,
        "follow_up": finding.follow_up_id,
        "outcome": finding.outcome,
        "severity": finding.severity,
        "confidence": finding.confidence,
    }
    # Outside the owner, only where the owner marked the summary shareable.
    if own or finding.summary_shareable:
        row["evidence_summary"] = text(finding.evidence_summary)
    row.update(
        summary_shareable=finding.summary_shareable,
        is_open=finding.is_open,
        distribution=finding.distribution,
        sharing_group=finding.sharing_group_id,
        tlp=finding.tlp,
        shared_at=moment(finding.shared_at),
        observed_at=moment(finding.observed_at),
        created_at=moment(finding.created_at),
        version=finding.version,
    )
    return row
