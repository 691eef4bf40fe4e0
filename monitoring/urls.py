"""Pages of the web application about monitoring, sharing, exports and the record. (The
dashboard, at the site's root, is named "dashboard" in config/urls.py.)

Each view module keeps its own `urlpatterns`; this one joins them under the `monitoring`
namespace.
"""

from .views import checks, exports, record, sharing

app_name = "monitoring"

urlpatterns = [
    *checks.urlpatterns,
    *sharing.urlpatterns,
    *exports.urlpatterns,
    *record.urlpatterns,
]
