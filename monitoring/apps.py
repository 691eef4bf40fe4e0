from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.db.models import Exists, OuterRef, Q

        from cases import policy
        from cases.models import Case, ProceedingEvent, SharingGroupMembership
        from cases.models.sharing import TLP, Distribution
        from cases.signals import case_transitioned, proceeding_recorded

        from . import models, services

        def by_case(queryset, user):
            return queryset.filter(case_id__in=policy.visible_case_ids(user))

        def findings(queryset, user):
            """The owner's findings, and those whose own distribution or a recipient's
            re-share reaches the user, always within the case's reach."""
            reshared = models.FindingShare.objects.filter(
                finding=OuterRef("pk"), withdrawn_at__isnull=True
            ).filter(
                Q(distribution=Distribution.NETWORK)
                | Q(sharing_group_id__in=policy.groups_of(user))
            ).filter(
                # ...and only while whoever passed it on still receives it from the owner.
                Q(finding__distribution=Distribution.NETWORK)
                | Exists(SharingGroupMembership.objects.filter(
                    group_id=OuterRef(OuterRef("sharing_group_id")),
                    organisation_id=OuterRef("organisation_id"),
                ))
            )
            # A re-share counts only while the owner still shares the finding under a label
            # that lets recipients pass it on: withdrawing it withdraws the re-shares too.
            passed_on = Exists(reshared) & Q(
                distribution__in=(Distribution.SHARING_GROUP, Distribution.NETWORK),
                tlp__in=(TLP.GREEN, TLP.CLEAR),
            )
            return by_case(queryset, user).filter(
                Q(case__owner_id__in=policy.my_organisations(user))
                | policy.shared_with(user)
                | passed_on
            )

        def reports(queryset, user):
            # A report reaches those who see one of its findings (or the owner).
            return by_case(queryset, user).filter(
                Q(case__owner_id__in=policy.my_organisations(user))
                | Q(pk__in=findings(models.Finding.objects.all(), user).values("report_id"))
            )

        def finding_children(queryset, user):
            return queryset.filter(
                finding_id__in=findings(models.Finding.objects.all(), user).values("pk")
            )

        def counted_findings(queryset, user):
            return queryset.filter(
                Q(pk__in=findings(models.Finding.objects.all(), user).values("pk"))
                # Aggregates are for the organisations on the platform: none without one.
                | (Q(distribution=Distribution.AGGREGATE_ONLY)
                   & Exists(policy.my_organisations(user)))
            )

        def by_owned_case(queryset, user):
            # Evidence files are sources: they stay with the owning organisation.
            return by_case(queryset, user).filter(case__owner_id__in=list(policy.roles(user)))

        for model in (models.MonitoringPlan, models.FollowUp):
            policy.register_restriction(model, policy.Resource.MONITORING, by_case)
        policy.register_restriction(models.Finding, policy.Resource.MONITORING, findings)
        policy.register_restriction(models.CheckReport, policy.Resource.MONITORING, reports)
        policy.register_restriction(models.FindingShare, policy.Resource.MONITORING,
                                    finding_children)
        policy.register_restriction(models.FindingComment, policy.Resource.MONITORING,
                                    finding_children)
        policy.register_aggregate_scope(models.Finding, counted_findings)
        policy.register_restriction(models.Evidence, policy.Resource.MONITORING, by_owned_case)
        def notifications(queryset, user):
            # An alert only while its case is visible; an export's notice is the requester's.
            return queryset.filter(recipient_id=user.pk).filter(
                Q(case_id__in=policy.visible_case_ids(user)) | Q(case__isnull=True)
            )

        def exports(queryset, user):
            # The requester's own files while it may still export for their organisation, and
            # those of its organisation for its auditors, except files holding identifiers,
            # which auditors never see.
            exporting = policy.organisations_with(user, policy.Resource.EXPORT,
                                                  policy.Action.VIEW)
            auditing = policy.organisations_with(user, policy.Resource.EXPORT,
                                                 policy.Action.VIEW_AUDIT)
            return queryset.filter(
                Q(requester_id=user.pk, organisation_id__in=exporting)
                | Q(organisation_id__in=auditing, include_identifiers=False)
            )

        policy.register_restriction(models.Notification, policy.Resource.NOTIFICATION,
                                    notifications)
        policy.register_restriction(models.Export, policy.Resource.EXPORT, exports)

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

        # The case page's monitoring panels and timeline entries register themselves.
        from .views import panels  # noqa: F401
