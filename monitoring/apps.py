from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        # The visibility rules of this app's records are in `policy.py`, registered by the
        # case policy with every app's.
        from cases.models import Case, ProceedingEvent, Subject
        from cases.signals import case_transitioned, proceeding_recorded, subject_erased

        from . import erasure, services

        def on_transition(sender, case, transition, actor, **kwargs):
            if transition.to_status == Case.Status.MONITORING_ACTIVE:
                services.plan_for_case(actor=actor, case=case)
            elif transition.to_status == Case.Status.MONITORING_CLOSED:
                services.close_plan(actor=actor, case=case)

        def on_proceeding(sender, proceeding, actor, **kwargs):
            services.hearing_recorded(actor=actor, proceeding=proceeding)

        case_transitioned.connect(on_transition, sender=Case, weak=False,
                                  dispatch_uid="monitoring.plan")
        proceeding_recorded.connect(on_proceeding, sender=ProceedingEvent, weak=False,
                                    dispatch_uid="monitoring.hearing")

        subject_erased.connect(erasure.on_subject_erased, sender=Subject, weak=False,
                               dispatch_uid="monitoring.erasure")

        # The case page's monitoring panels and timeline entries register themselves.
        from .views import panels  # noqa: F401
