"""Pages of the web application about the compliance record and exports.

Each view module keeps its own `urlpatterns`; this one joins them under the `reporting`
namespace.
"""

from .views import case_file, exports, record, selected

app_name = "reporting"

urlpatterns = [
    *case_file.urlpatterns,
    *exports.urlpatterns,
    *record.urlpatterns,
    *selected.urlpatterns,
]
