"""Pages of the web application about monitoring and sharing. (The dashboard, at the site's
root, is named "dashboard" in config/urls.py.)

Each view module keeps its own `urlpatterns`; this one joins them under the `monitoring`
namespace.
"""

from .views import calendar, checks, evidence, sharing

app_name = "monitoring"

urlpatterns = [
    *checks.urlpatterns,
    *sharing.urlpatterns,
    *evidence.urlpatterns,
    *calendar.urlpatterns,
]
