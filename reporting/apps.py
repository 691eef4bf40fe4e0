from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting"

    def ready(self) -> None:
        # The visibility rule of exports is in `policy.py`, registered by the case policy with
        # every app's.
        from monitoring.delivery import register_still_for
        from monitoring.models import Notification
        from monitoring.sweep import register_sweep_job

        from .policy import export_notice_still_for
        from .tasks import exports_purge

        # The risk brief on the case page and the record on the dashboard register themselves.
        from .views import panels  # noqa: F401

        register_sweep_job("exports", exports_purge)
        register_still_for(Notification.Kind.EXPORT_READY, export_notice_still_for)
