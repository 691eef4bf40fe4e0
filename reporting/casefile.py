"""The case file: one case as a printable PDF, with its label on every page.

It reads what the case page reads, through the same helpers (`case_or_404`, `visible`,
`show_identifiers`, `policy.is_owner`), so the file never holds more than the page shows the
same reader. The subject's identifiers are in it only for a reader who may see them and has
not asked to leave personal data out; without personal data the file holds the structured
record alone: no names, birth dates, free text or Interpol reference, as a partner sees it.
Each file produced is an `export` audit event of the case (its reference, never a name).

WeasyPrint renders with the compliance report's fetcher, which refuses every URL but data
URIs, so a file never reaches the network or the file system.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from cases import audit, policy
from cases.models import Assurance, AuditEvent, Case, ProceedingEvent
from cases.models.sharing import TLP
from cases.views.base import visible
from cases.views.common import show_identifiers
from monitoring.models import CheckReport, Finding, FollowUp

from .exports.report import TLP_COLOURS, _css_page_counter, inline_only_fetcher

TEMPLATE = "reporting/case_file.html"
# The query parameter that leaves the subject's identifiers and free text out.
PERSONAL = "personal"


@dataclass(frozen=True)
class CaseFile:
    pdf: bytes
    filename: str
    pages: int
    identifiers: bool


def wants_personal_data(params) -> bool:
    """Whether the reader asked for personal data: yes unless `personal` is "0" (or empty,
    "false", "no", "off": an unticked box or a hand-written link alike)."""
    value = params.get(PERSONAL, "1").strip().lower()
    return value not in ("0", "", "false", "no", "off")


def case_file_context(request, case: Case, *, personal: bool) -> dict:
    """Everything the file shows, for the signed-in reader of `request`."""
    user = request.user
    owner = policy.is_owner(user, case)
    # The owner's free text only in the owner's full file; recipients never get it.
    full = owner and personal
    identifiers = personal and show_identifiers(request, case.subject)
    label = TLP(case.tlp).label
    return {
        "case": case,
        "owner_view": owner,
        "full": full,
        "personal": personal,
        "identifiers": identifiers,
        "language": translation.get_language() or "en",
        "tlp": label,
        "tlp_colour": TLP_COLOURS[label.removeprefix("TLP:")],
        # Escaped by the report's own CSS quoting: translated text, never a raw value.
        "page_counter": mark_safe(_css_page_counter()),  # noqa: S308
        "generated_at": timezone.now(),
        "reader": user.get_username(),
        "offences": list(case.offences.all()),
        "named_recipients": list(case.named_recipients.all()) if full else [],
        "transitions": list(case.transitions.select_related("actor")),
        "assurances": list(visible(request, Assurance).filter(case=case)
                           .order_by("given_on", "created_at")),
        "proceedings": list(visible(request, ProceedingEvent).filter(case=case)
                            .select_related("consulted_state").order_by("date", "created_at")),
        "follow_ups": follow_ups(request, case),
        "findings": findings(request, case, personal=personal, owner=owner),
    }


def follow_ups(request, case: Case) -> list[dict]:
    """The case's follow-ups the reader may see, each with its check's outcome: the access
    found and the outcome of each finding the reader may see."""
    shown_findings = visible(request, Finding).select_related("assurance").order_by("pk")
    reports = {
        report.follow_up_id: report
        for report in visible(request, CheckReport).filter(case=case).prefetch_related(
            Prefetch("findings", queryset=shown_findings, to_attr="shown"))
    }
    rows = []
    for follow_up in visible(request, FollowUp).filter(case=case).order_by("due_at", "pk"):
        report = reports.get(follow_up.pk)
        rows.append({"follow_up": follow_up, "report": report,
                     "findings": report.shown if report else []})
    return rows


def findings(request, case: Case, *, personal: bool, owner: bool) -> list[dict]:
    """The findings the reader may see, oldest first, with the evidence summary where the
    finding page would show it (the owner, or a summary marked shareable) and personal data
    was not left out."""
    rows = []
    for finding in (visible(request, Finding).filter(case=case)
                    .select_related("assurance").order_by("observed_at", "pk")):
        summary = personal and (owner or finding.summary_shareable)
        rows.append({"finding": finding,
                     "summary": finding.evidence_summary if summary else None})
    return rows


def render_html(context: dict) -> str:
    return render_to_string(TEMPLATE, context)


def render_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of `html` and its number of pages."""
    from weasyprint import HTML  # imported when a file is drawn (see exports.report)

    document = HTML(string=html, base_url=None, url_fetcher=inline_only_fetcher()).render()
    out = io.BytesIO()
    document.write_pdf(out)
    return out.getvalue(), len(document.pages)


def case_file(request, case: Case, *, personal: bool) -> CaseFile:
    """The case file of `case` (already fetched through `case_or_404`) for the reader of
    `request`, in the language of the request; its production is audited."""
    with translation.override(getattr(request, "LANGUAGE_CODE", None)
                              or translation.get_language()):
        context = case_file_context(request, case, personal=personal)
        pdf, pages = render_pdf(render_html(context))
    audit.record(request.user, AuditEvent.Action.EXPORT, case, detail={
        "kind": "case_file", "format": "pdf", "pages": pages,
        "identifiers": bool(context["identifiers"]), "tlp": case.tlp,
    })
    reference = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-"
                        for ch in case.reference)
    return CaseFile(pdf=pdf, filename=f"{reference}-case-file.pdf", pages=pages,
                    identifiers=bool(context["identifiers"]))
