from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from cases import policy
        from cases.models import Case, ProceedingEvent
        from cases.signals import case_transitioned, proceeding_recorded

        from . import models, services

        def by_case(queryset, user):
            return queryset.filter(case_id__in=policy.visible_case_ids(user))

        def by_owned_case(queryset, user):
            # Evidence files are sources: they stay with the owning organisation.
            return by_case(queryset, user).filter(case__owner_id__in=list(policy.roles(user)))

        for model in (models.MonitoringPlan, models.FollowUp, models.CheckReport, models.Finding):
            policy.register_restriction(model, policy.Resource.MONITORING, by_case)
        policy.register_restriction(models.Evidence, policy.Resource.MONITORING, by_owned_case)
        policy.register_restriction(
            models.Notification,
            policy.Resource.NOTIFICATION,
            lambda queryset, user: by_case(queryset.filter(recipient_id=user.pk), user),
        )

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
