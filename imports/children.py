"""Rows of records that belong to a case (assurances, proceedings, checks with their
findings): the case named by the organisation's reference for it or by this product's, each
record written through its service, one row at a time."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cases import policy
from cases.exceptions import Conflict
from cases.models import Assurance, Case, ProceedingEvent
from cases.services.assurances import assurance_create, assurance_update
from cases.services.proceedings import proceeding_create, proceeding_update
from monitoring.models import CheckReport, FollowUp
from monitoring.services import report_record_past

from .kinds import Target, _given, _Handler
from .rows import Row, digest, required_missing
from .values import errors_of


class _CaseChildRows(_Handler):
    """Rows of records that belong to a case: the case named by the organisation's reference
    for it, or by this product's reference."""

    model: type

    def create_record(self, case, fields: dict):
        raise NotImplementedError

    def update_record(self, record, version: int, fields: dict):
        raise NotImplementedError

    def batch(self, rows: list[Row]) -> None:
        names = {r.values.get("case_reference") for r in rows} - {None, ""}
        by_external = self.references(Target.CASE, names)
        cases = {c.pk: c for c in policy.restrict(Case.objects.filter(owner=self.organisation)
                 .filter(Q(pk__in=[k.object_id for k in by_external.values()])
                         | Q(reference__in=names)), self.actor)}
        by_reference = {c.reference: c for c in cases.values()}
        known = self.references(self.target, [r.reference for r in rows])
        records = {r.pk: r for r in self.model.objects.filter(
            pk__in=[k.object_id for k in known.values()], case__owner=self.organisation)}
        for row in rows:
            if row.errors:
                continue
            name = row.values.get("case_reference") or ""
            external = by_external.get(name)
            case = cases.get(external.object_id) if external else by_reference.get(name)
            if case is None:
                row.errors["case_reference"] = _("No case of yours has this reference.")
                continue
            fields = _given(row.values, [n for n in self.fields
                                         if n not in ("external_reference", "case_reference")],
                            self.job.kind)
            value = digest({**fields, "case": case.pk})
            entry = known.get(row.reference)
            if entry is not None and entry.digest == value:
                self.outcome.counts["unchanged"] += 1
                continue
            record = records.get(entry.object_id) if entry else None
            if entry is None:
                required_missing(row, self.fields)
            elif record is None:
                row.errors["external_reference"] = _("The record this reference names is gone.")
            if row.errors:
                continue
            if record is not None and not self.commit and hasattr(record, "version"):
                self.outcome.versions[f"{self.target}:{row.reference}"] = record.version
            if self._apply(row, case, record, fields, entry, value):
                self.outcome.counts["update" if record else "create"] += 1
        self.settle(rows)

    def _apply(self, row, case, record, fields, entry, value) -> bool:
        """Write through the service, or in the check, run the service in a savepoint that is
        rolled back: the check applies exactly the rules the commit will. Whether it went."""
        try:
            with transaction.atomic():
                if record is None:
                    made = self.create_record(case, fields)
                else:
                    version = self.versions.get(f"{self.target}:{row.reference}",
                                                getattr(record, "version", None))
                    self.update_record(record, version, fields)
                if not self.writing:
                    transaction.set_rollback(True)
                elif record is None:
                    self.remember(self.target, [(row.reference, made, value)])
                else:
                    self.restamp(entry, value)
            return True
        except ValidationError as error:
            row.errors.update(errors_of(error))
        except Conflict as conflict:
            row.errors["external_reference"] = str(conflict.message)
        return False


class AssuranceRows(_CaseChildRows):
    target, model = Target.ASSURANCE, Assurance

    def create_record(self, case, fields):
        return assurance_create(actor=self.actor, case=case, **fields)

    def update_record(self, record, version, fields):
        return assurance_update(actor=self.actor, assurance=record, version=version, **fields)


class ProceedingRows(_CaseChildRows):
    target, model = Target.PROCEEDING, ProceedingEvent

    def create_record(self, case, fields):
        return proceeding_create(actor=self.actor, case=case, **fields)

    def update_record(self, record, version, fields):
        return proceeding_update(actor=self.actor, proceeding=record, version=version,
                                 **fields)


REPORT_FIELDS = ("visitors", "access_delay_hours", "refusal_reason", "privacy",
                 "interpreter_independent", "doctor_present", "custody_phase", "facility",
                 "condition", "allegations", "legal_status", "family_contact",
                 "trial_observations", "narrative")
FINDING_LISTS = ("finding_assurance", "finding_outcome", "finding_severity",
                 "finding_confidence")


class CheckRows(_CaseChildRows):
    """A check made after surrender, with its report and a finding per assurance named: the
    plan's open check of its kind completed, or one made for its moment (see
    `monitoring.services.report_record_past`). Rows of a case are read in the file's order, so
    a history in order moves the cadence on as it went."""

    target, model = Target.REPORT, CheckReport

    def create_record(self, case, fields):
        fields = dict(fields)
        lists = {name: fields.pop(name, []) for name in FINDING_LISTS}
        return report_record_past(
            actor=self.actor, case=case, checked_at=fields.pop("checked_at"),
            access=fields.pop("access"), kind=fields.pop("kind", None) or FollowUp.Kind.AD_HOC,
            mode=fields.pop("mode", None) or FollowUp.Mode.VISIT,
            findings=self._findings(case, lists),
            **{name: value for name, value in fields.items() if name in REPORT_FIELDS})

    def _findings(self, case, lists: dict) -> list[dict]:
        named, outcomes = lists["finding_assurance"], lists["finding_outcome"]
        severities, confidences = lists["finding_severity"], lists["finding_confidence"]
        if len(outcomes) != len(named) or len(severities) != len(named) or (
                confidences and len(confidences) != len(named)):
            raise ValidationError({"finding_outcome": _(
                "Give for each assurance named an outcome and a severity (and a confidence, "
                "if any), separated by ';'.")})
        by_reference = {k.reference: k.object_id for k in self.references(
            Target.ASSURANCE, named).values()}
        assurances = list(case.assurances.all())
        found = []
        for index, name in enumerate(named):
            match = [a for a in assurances if a.pk == by_reference.get(name)] or [
                a for a in assurances if a.type == name]
            if len(match) != 1:
                raise ValidationError({"finding_assurance": _(
                    "The case has no assurance, or several, that this names: give your "
                    "reference for it, or its type where it has one of that type.")})
            item = {"assurance": match[0], "outcome": outcomes[index],
                    "severity": severities[index]}
            if confidences:
                item["confidence"] = confidences[index]
            found.append(item)
        return found

    def update_record(self, record, version, fields):
        raise ValidationError({"external_reference": _(
            "This check was imported before with other values; a report is not changed by an "
            "import: correct it in the application.")})
