"""The case list's "export the selected cases": a CSV of exactly the cases ticked.

The export's filters are the list's filters, which name no single case, so the selected cases
are not an `Export` of the export service: the file is written here, at once, by the same
machinery (`rows.scope` for what an export may hold for the user, its columns, its cell
formatting and its CSV writer), and the export is an audit event of the acting organisation
with the file's row count and SHA-256. As in every export, RED never leaves in bulk and cells
the owner keeps are empty for everyone else; a selected case out of sight is a 404.
"""

from __future__ import annotations

import hashlib
import io

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from cases import audit, policy
from cases.models import Case
from cases.models.sharing import TLP
from cases.views.base import MemberPage, acting_organisation, safe_next, visible, visible_or_404
from cases.views.bulk import SelectionForm
from cases.views.common import require_right

from ..exports import formats, rows
from ..models import Export

KIND = Export.Kind.CASES


class SelectedCasesExport(MemberPage, TemplateView):
    """POST only: the CSV of the selected cases, or the selection again with why not (400)."""

    http_method_names = ["post"]
    template_name = "form.html"

    def post(self, request, *args, **kwargs):
        organisation = acting_organisation(request)
        require_right(request, getattr(organisation, "pk", None), policy.Resource.EXPORT,
                      policy.Action.CREATE)
        form = SelectionForm(request.POST)
        if not form.is_valid():
            return self.refuse(form)
        ids = form.cleaned_data["selected"]
        seen = dict(visible(request, Case).filter(pk__in=ids).values_list("pk", "reference"))
        missing = set(ids) - set(seen)
        if missing:
            visible_or_404(request, Case, pk=min(missing))
            raise Http404
        exportable = rows.scope(request.user, KIND, organisation_id=organisation.pk).filter(
            pk__in=ids)
        held_back = sorted(set(seen.values()) - set(exportable.values_list("reference",
                                                                           flat=True)))
        if held_back:
            form.add_error(None, _("TLP:RED cases never leave in bulk: %(references)s.")
                           % {"references": ", ".join(held_back)})
            return self.refuse(form)
        return self.download(request, organisation, exportable)

    def download(self, request, organisation, exportable) -> HttpResponse:
        cols = rows.columns(KIND, identifiers=False)
        labels: set[str] = set()
        out = io.BytesIO()
        written = formats.write_csv(
            out, [c.name for c in cols],
            rows.iter_rows(request.user, rows.of_ids(KIND, exportable.values("pk")), KIND,
                           cols, fmt=Export.Format.CSV, labels=labels),
            manifest=lambda count: {})
        content = out.getvalue()
        digest = hashlib.sha256(content).hexdigest()
        label = rows.strictest_label(labels)
        audit.record(request.user, audit.Action.EXPORT, None, organisation_id=organisation.pk,
                     detail={"kind": KIND, "format": Export.Format.CSV, "selected": True,
                             "rows": written, "sha256": digest, "tlp": label})
        name = f"cases-selected-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response = HttpResponse(content, content_type=formats.CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["X-Content-SHA256"] = digest
        response["X-TLP"] = TLP(label).label
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def refuse(self, form):
        return self.render_to_response(self.get_context_data(
            form=form, title=_("Export the selected cases"),
            submit_label=_("Export the selected cases (CSV)"),
            cancel_url=safe_next(self.request, form.data.get("bulk-next"),
                                 reverse("cases:case_list"))), status=400)


urlpatterns = [
    path("exports/selected-cases/", SelectedCasesExport.as_view(),
         name="selected_cases_export"),
]
