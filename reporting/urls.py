"""Pages of the web application about the compliance record and exports.

Each view module keeps its own `urlpatterns`; this one joins them under the `reporting`
namespace.
"""

from .views import exports, record

app_name = "reporting"

urlpatterns = [
    *exports.urlpatterns,
    *record.urlpatterns,
]
