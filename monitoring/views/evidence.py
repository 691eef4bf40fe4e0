"""Evidence files opened from the web pages: a file's page with its preview, each page of the
preview as a PNG drawn on the server, the download, and the list of a case's files.

Only the owning organisation's members open a file; to anyone else its preview and download
answer 404, as a record that does not exist, and once the file was erased with its subject's
identifiers they answer 410. Organisations a finding is shared with see that a check's files
exist (type, date, hash) on the case's list, never their name, preview or content.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cases import policy
from cases.models import Case
from cases.views.base import MemberPage, visible, visible_or_404

from .. import evidence_files
from ..models import CheckReport, Evidence
from ..services import evidence as evidence_services

Action = policy.Action
Resource = policy.Resource
# Whatever a browser makes of these responses, it runs nothing and loads nothing else.
FILE_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
UNPREVIEWABLE = gettext_lazy("This file cannot be previewed; download it instead.")
PLAIN = "text/plain; charset=utf-8"


def protected(response: HttpResponse) -> HttpResponse:
    """The headers every response carrying (or standing for) a file's content gets."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = FILE_POLICY
    return response


def may_open(user, case: Case) -> bool:
    """Whether the user opens the case's evidence files: a member of its owner who reads its
    monitoring (the policy keeps the files from everyone else)."""
    return policy.is_owner(user, case) and policy.has_right(
        user, case.owner_id, Resource.MONITORING, Action.VIEW)


class EvidencePage(MemberPage):
    """A page about one evidence file the user may open; anyone else gets a 404."""

    def may(self, request) -> bool:
        self.evidence = visible_or_404(
            request, Evidence.objects.select_related("case", "report"), pk=self.kwargs["pk"])
        return may_open(request.user, self.evidence.case)

    def erased(self, request) -> HttpResponse:
        """The file's record, saying the file is gone (410)."""
        return render(request, "monitoring/evidence_detail.html", {
            "evidence": self.evidence, "case": self.evidence.case,
            "erased": evidence_services.ERASED,
        }, status=410)


class EvidenceDetail(EvidencePage, TemplateView):
    """The file's record, its preview (an image, or a PDF's first pages), its download."""

    template_name = "monitoring/evidence_detail.html"

    def get(self, request, *args, **kwargs):
        evidence = self.evidence
        pages = None
        unpreviewable = False
        if evidence.content_type in evidence_files.PREVIEWABLE:
            try:
                pages = evidence_services.evidence_preview_pages(actor=request.user,
                                                                 evidence=evidence)
            except evidence_services.Erased:
                return self.erased(request)
            except evidence_files.Unpreviewable:
                unpreviewable = True
        elif evidence.erased_at is not None:
            return self.erased(request)
        context = self.get_context_data(
            evidence=evidence, case=evidence.case, pages=pages, unpreviewable=unpreviewable,
            page_numbers=range(1, pages.shown + 1) if pages else (),
            is_pdf=evidence.content_type == evidence_files.PDF,
        )
        return self.render_to_response(context)


class EvidencePreview(EvidencePage, View):
    """One page of the preview: a PNG drawn on the server, audited as a view."""

    def get(self, request, pk, page):
        evidence = self.evidence
        if (evidence.content_type not in evidence_files.PREVIEWABLE
                or not 1 <= page <= evidence_files.PREVIEW_PAGES):
            return protected(HttpResponse(_("No such page."), status=404, content_type=PLAIN))
        try:
            png = evidence_services.evidence_preview(actor=request.user, evidence=evidence,
                                                     page=page)
        except evidence_services.Erased as gone:
            return protected(HttpResponse(str(gone), status=410, content_type=PLAIN))
        except evidence_files.NoSuchPage:
            return protected(HttpResponse(_("No such page."), status=404, content_type=PLAIN))
        except evidence_files.Unpreviewable:
            return protected(HttpResponse(str(UNPREVIEWABLE), status=422, content_type=PLAIN))
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = f'inline; filename="evidence-{evidence.pk}-{page}.png"'
        return protected(response)


class EvidenceDownload(EvidencePage, View):
    """The file as it was stored, as an attachment: never shown by the browser itself."""

    def get(self, request, pk):
        evidence = self.evidence
        try:
            stored = evidence_services.evidence_download(actor=request.user, evidence=evidence)
        except evidence_services.Erased:
            return self.erased(request)
        extension = mimetypes.guess_extension(evidence.content_type) or ""
        return protected(FileResponse(
            stored, as_attachment=True, filename=f"evidence-{evidence.pk}{extension}",
            content_type=evidence.content_type,
        ))


# What of a file another organisation sees, beside the check it belongs to.
RECIPIENTS_SEE = ("pk", "case_id", "content_type", "created_at", "sha256", "erased_at",
                  "report__id", "report__follow_up_id", "report__checked_at")


class CaseEvidence(MemberPage, TemplateView):
    """The evidence files of a case's checks: the owner's members open them; organisations
    that see one of the checks see that its files exist (type, date, hash), nothing more."""

    template_name = "monitoring/case_evidence.html"

    def may(self, request) -> bool:
        self.case = visible_or_404(request, Case.objects.select_related("subject"),
                                   pk=self.kwargs["pk"])
        return True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, case = self.request, self.case
        owner = may_open(request.user, case)
        if owner:
            files = visible(request, Evidence).filter(case=case).select_related("report")
        else:
            # Of the checks the user sees, only that a file exists: no name, no size.
            reports = visible(request, CheckReport).filter(case=case).values("pk")
            files = Evidence.objects.filter(case=case, report_id__in=reports).select_related(
                "report").only(*RECIPIENTS_SEE)
        context.update(case=case, is_owner=owner, evidence=list(files.order_by("-created_at")))
        return context


urlpatterns = [
    path("evidence/<uuid:pk>/", EvidenceDetail.as_view(), name="evidence_detail"),
    path("evidence/<uuid:pk>/pages/<int:page>.png", EvidencePreview.as_view(),
         name="evidence_preview"),
    path("evidence/<uuid:pk>/download/", EvidenceDownload.as_view(), name="evidence_download"),
    path("cases/<uuid:pk>/evidence/", CaseEvidence.as_view(), name="case_evidence"),
]
