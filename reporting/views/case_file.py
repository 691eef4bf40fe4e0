"""The case file as a PDF download, beside the case page.

The case is fetched as the case page fetches it (`case_or_404`): a case the reader may not
see, of another organisation or no longer shared, is a 404 (audited where it exists).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.views import View

from cases.models.sharing import TLP
from cases.views.base import MemberPage
from cases.views.common import case_or_404

from ..casefile import case_file, wants_personal_data


class CaseFilePdf(MemberPage, View):
    def get(self, request, pk):
        case = case_or_404(request, pk, full=True)
        produced = case_file(request, case, personal=wants_personal_data(request.GET))
        response = HttpResponse(produced.pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
        response["X-TLP"] = TLP(case.tlp).label
        response["X-Content-Type-Options"] = "nosniff"
        # A file about a person at risk stays out of every cache.
        response["Cache-Control"] = "no-store, private"
        return response


urlpatterns = [
    path("cases/<uuid:pk>/file.pdf", CaseFilePdf.as_view(), name="case_file"),
]
