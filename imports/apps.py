from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The rules of imports are in `policy.py`, registered by the case policy with every
        # app's; uploads nobody finished are purged by the sweep.
        from monitoring.sweep import register_sweep_job

        from .jobs import uploads_purge

        register_sweep_job("imports", uploads_purge)
