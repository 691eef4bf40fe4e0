from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case register"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.backends.signals import connection_created

        from . import audit, checks, policy, services, signin  # noqa: F401 - checks registers

        policy.register_installed_apps()
        connection_created.connect(audit.register_sqlite_wipe_escape,
                                   dispatch_uid="cases.audit_wipe_escape")

        # Sign-ins through the web (admin, browsable API) are audited like token sign-ins.
        def logged_in(sender, request, user, **kwargs):
            services.record_login(user=user, succeeded=True)

        def login_failed(sender, credentials, request=None, **kwargs):
            if signin.refused_for(request):
                return  # refused by the lockout, whose start is audited once (not each try)
            services.record_login(
                user=None, succeeded=False, username=str(credentials.get("username", ""))
            )

        user_logged_in.connect(logged_in, dispatch_uid="cases.audit_login")
        user_login_failed.connect(login_failed, dispatch_uid="cases.audit_login_failed")
