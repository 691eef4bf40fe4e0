"""What a row of each kind of import makes: the records it creates or changes, checked by the
services' own rules and written through the services (new subjects and cases in bulk,
`cases.services.batch`), each record known afterwards by the organisation's reference."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases import keyring, policy
from cases.exceptions import Conflict
from cases.models import Case, Subject, SubjectNationality
from cases.models.cases import INITIAL_STATUSES
from cases.services.batch import (
    case_values,
    cases_create_many,
    check_new_case,
    check_new_subject,
    owner_facts,
    subjects_create_many,
)
from cases.services.cases import (
    _consent_for_update,
    _require_consultation,
    _sharing,
    _transition_errors,
    case_transition,
    case_update,
    validate_case,
)
from cases.services.common import today
from cases.services.subjects import _validate_nationalities, _validate_subject, subject_update

from .fields import CHOICE, fields_of
from .models import ExternalReference, Kind
from .rows import Row, digest, required_missing
from .status import forward_path
from .values import errors_of

Target = ExternalReference.Target

SUBJECT_FIELDS = {
    "subject_full_name": "full_name", "subject_other_names": "other_names",
    "subject_date_of_birth": "date_of_birth", "subject_contacts": "contacts",
    "subject_notes": "notes", "subject_refugee_status": "refugee_status",
    "subject_protection_state": "protection_state", "subject_reprisal_risk": "reprisal_risk",
    "subject_do_not_contact": "do_not_contact", "subject_consent_to_record": "consent_to_record",
    "subject_consent_to_share": "consent_to_share",
}
# Fields whose empty cell leaves the record's value as it is (or the default, for a new one):
# they cannot be empty. Every choice is one of them, and so are these.
KEPT_WHEN_EMPTY = {"requesting_state", "requested_state", "date", "verbatim_text", "issuer",
                   "subject_reprisal_risk", "subject_do_not_contact",
                   "subject_consent_to_record", "subject_consent_to_share"}
CASE_FIELDS = ("requesting_state", "requested_state", "channel", "legal_instrument",
               "legal_basis_note", "interpol_notice", "interpol_reference", "request_date",
               "arrest_date", "decision_date", "surrender_date", "distribution", "tlp",
               "sharing_group", "caseworker")


def _given(values: dict, names, kind: str) -> dict:
    """The values of `names` the row gives: an empty cell of a field that cannot be empty
    gives nothing."""
    fields = fields_of(kind)
    return {name: values[name] for name in names if name in values and not (
        values[name] is None and (name in KEPT_WHEN_EMPTY or fields[name].type == CHOICE))}


class _Handler:
    target: str

    def __init__(self, job, actor, lookups, outcome, commit: bool, versions: dict):
        self.job, self.actor, self.lookups, self.outcome = job, actor, lookups, outcome
        self.organisation = job.organisation
        self.commit, self.versions = commit, versions
        self.fields = fields_of(job.kind)

    @property
    def writing(self) -> bool:
        """Whether this pass writes: a commit with no error so far."""
        return self.commit and self.outcome.ok

    def references(self, target: str, refs) -> dict[str, ExternalReference]:
        return {r.reference: r for r in ExternalReference.objects.filter(
            organisation=self.organisation, target=target, reference__in=set(refs))}

    def remember(self, target: str, pairs: list[tuple[str, object, str]]) -> None:
        """Record (reference, record, digest) of records just created."""
        ExternalReference.objects.bulk_create([
            ExternalReference(organisation=self.organisation, target=target, reference=ref,
                              object_id=record.pk, digest=value) for ref, record, value in pairs])

    def restamp(self, known: ExternalReference, value: str) -> None:
        known.digest = value
        known.save(update_fields=["digest", "updated_at"])

    def settle(self, rows: list[Row]) -> None:
        for row in rows:
            if row.errors:
                self.outcome.add_errors(row)

    def finish(self) -> None:
        pass


class CaseRows(_Handler):
    """A case with its subject and offences per row; the subject found again by its own
    reference (rows of one person share it), else by the case's."""

    def __init__(self, *args):
        super().__init__(*args)
        self.members, self.groups = owner_facts(self.organisation)
        # Subjects met in this file: reference -> (digest, first row, and for one the file
        # makes, its consent to share and nationalities); the stand-ins of this batch.
        self.subjects: dict[str, tuple] = {}
        self.batch_subjects: dict[str, Subject] = {}

    def _subject_part(self, row: Row) -> tuple[str, dict, list]:
        values = row.values
        given = _given(values, SUBJECT_FIELDS, Kind.CASES)
        fields = {SUBJECT_FIELDS[name]: value for name, value in given.items()}
        nationalities = [{"country": c} for c in values.get("subject_nationalities", [])]
        return values.get("subject_reference") or row.reference, fields, nationalities

    def _offences(self, row: Row) -> list[dict] | None:
        values = row.values
        if "offence_description" not in values:
            return None
        descriptions = values["offence_description"]
        categories = values.get("offence_category", [])
        penalties = values.get("offence_max_penalty", [])
        if len(categories) != len(descriptions) or penalties and len(penalties) != len(
                descriptions):
            row.errors["offence_category"] = (
                _("Give one category (and at most one penalty) per offence, separated by ';'."))
            return []
        return [{"description": d, "category": c, **({"max_penalty": p} if penalties else {})}
                for d, c, p in zip(descriptions, categories, penalties or [""] * len(
                    descriptions), strict=True)]

    def batch(self, rows: list[Row]) -> None:
        self.batch_subjects = {}
        parts = {}
        for row in rows:
            offences = self._offences(row)
            sref, subject_fields, nationalities = self._subject_part(row)
            case_fields = _given(row.values, CASE_FIELDS, Kind.CASES)
            status = {n: row.values[n] for n in ("status", "status_changed_on", "closure_reason")
                      if row.values.get(n)}
            reason = row.values.get("consent_override_reason") or ""
            case_digest = digest({**case_fields, **status,
                                  "offences": offences if offences is not None else "-"})
            parts[row.number] = (sref, subject_fields, nationalities, case_fields, offences,
                                 status, reason, case_digest,
                                 digest({**subject_fields, "nationalities": nationalities}),
                                 row.reference)
        known_cases = self.references(Target.CASE, [r.reference for r in rows])
        known_subjects = self.references(Target.SUBJECT, [p[0] for p in parts.values()])
        # A row that brings nothing new is settled by the references alone: only the records
        # of the other rows are read.
        unchanged = {number for number, part in parts.items() if self._unchanged(
            known_cases.get(part[9]), known_subjects.get(part[0]), part)}
        wanted = [part for number, part in parts.items() if number not in unchanged]
        cases = {c.pk: c for c in policy.restrict(Case.objects.filter(
            owner=self.organisation, pk__in=[known_cases[p[9]].object_id for p in wanted
                                             if p[9] in known_cases]),
            self.actor).select_related("subject", "requested_state")}
        subjects = {s.pk: s for s in Subject.objects.filter(
            owner=self.organisation, pk__in=[known_subjects[p[0]].object_id for p in wanted
                                             if p[0] in known_subjects])}
        new_subjects, new_cases, updates = [], [], []
        for row in rows:
            if row.errors:
                continue
            (sref, subject_fields, nationalities, case_fields, offences, status, reason,
             case_digest, subject_digest, _ref) = parts[row.number]
            if row.number in unchanged:
                self.subjects.setdefault(sref, (subject_digest, row.number, None, None))
                self.outcome.counts["unchanged"] += 1
                continue
            subject, subject_change = self._subject(row, sref, subject_fields, nationalities,
                                                    subject_digest, known_subjects, subjects,
                                                    new_subjects)
            if row.errors:
                continue
            known = known_cases.get(row.reference)
            if known is None:
                self._check_new(row, subject, case_fields, offences, status, reason)
                new_cases.append((row, subject, case_fields, offences, status, reason,
                                  case_digest))
                self.outcome.counts["create"] += 1
                continue
            case = cases.get(known.object_id)
            if case is None:
                row.errors["external_reference"] = (
                    _("The case this reference names is no longer one you may change."))
                continue
            if known.digest == case_digest and not subject_change:
                self.outcome.counts["unchanged"] += 1
                continue
            if known.digest != case_digest:
                self._check_update(row, case, subject, case_fields, status, reason)
            updates.append((row, case, subject, subject_change, case_fields, offences, status,
                            reason, known, case_digest))
            self.outcome.counts["update"] += 1
        self.settle(rows)
        if self.writing:
            self._write(new_subjects, new_cases, updates)

    def _unchanged(self, known_case, known_subject, part) -> bool:
        """Whether a row gives its case and its person exactly what it gave them last time."""
        sref, subject_fields, case_digest, subject_digest = part[0], part[1], part[7], part[8]
        met = self.subjects.get(sref)
        return (known_case is not None and known_case.digest == case_digest
                and (not subject_fields or (known_subject is not None
                                            and known_subject.digest == subject_digest
                                            and (met is None or met[0] == subject_digest))))

    def _subject(self, row, sref, fields, nationalities, value, known_subjects, subjects,
                 new_subjects):
        """The row's subject (an unsaved stand-in for one the file creates) and, for a known
        one whose details changed, the change to make. A person met on an earlier row keeps
        the details given there; what is kept of it is small, not the record."""
        met = self.subjects.get(sref)
        if met is not None and fields and value != met[0]:
            row.errors["subject_reference"] = _(
                "This person's details differ from those on row %(row)d.") % {"row": met[1]}
            return None, None
        known = known_subjects.get(sref)
        if known is not None:
            subject = subjects.get(known.object_id)
            if subject is None:
                row.errors["subject_reference"] = _(
                    "The person this reference names is no longer one of yours.")
                return None, None
            change = None
            if met is None and fields and value != known.digest:
                try:
                    _validate_subject(fields)
                    _validate_nationalities(nationalities)
                except ValidationError as error:
                    row.errors.update(errors_of(error, "subject_"))
                change = (known, fields, nationalities, value)
            self.subjects.setdefault(sref, (value, row.number, None, None))
            return subject, change
        if sref in self.batch_subjects:
            return self.batch_subjects[sref], None
        if met is not None:
            # Made by an earlier batch of the check, which wrote nothing: stand in for it.
            consent, countries = met[2], met[3]
        else:
            if not fields.get("full_name"):
                row.errors["subject_full_name"] = _("A new person needs a full name.")
                return None, None
            try:
                check_new_subject(fields, nationalities)
            except ValidationError as error:
                row.errors.update(errors_of(error, "subject_"))
                return None, None
            consent = fields.get("consent_to_share", False)
            countries = [item["country"] for item in nationalities]
            self.subjects[sref] = (value, row.number, consent, countries)
        subject = Subject(owner=self.organisation, consent_to_share=consent)
        subject.stand_in = (sref, fields, nationalities, value, countries)
        self.batch_subjects[sref] = subject
        if met is None:
            new_subjects.append(subject)
        return subject, None

    def _check_new(self, row, subject, case_fields, offences, status, reason) -> None:
        required_missing(row, {n: f for n, f in self.fields.items()
                               if n in ("requesting_state", "requested_state", "channel")})
        if row.errors:
            return
        values, _given_names = case_values(self.actor, {"subject": subject, **case_fields})
        try:
            check_new_case(self.organisation, values, status=Case.Status.REQUEST_RECEIVED,
                           consent_override_reason=reason, members=self.members,
                           groups=self.groups)
        except ValidationError as error:
            row.errors.update(errors_of(error))
            return
        start = status.get("status") if status.get("status") in INITIAL_STATUSES else None
        self._check_path(row, SimpleNamespace(**{
            **values, "status": start or Case.Status.REQUEST_RECEIVED,
            "status_changed_on": None, "consultations": [], "subject": _StandIn(subject)}),
            status)

    def _check_update(self, row, case, subject, case_fields, status, reason) -> None:
        current = {name: getattr(case, name) for name in (*CASE_FIELDS, "subject")}
        values = {**current, **case_fields, "subject": subject}
        try:
            validate_case(self.organisation.pk, values, members=self.members, groups=self.groups)
            _consent_for_update(case, values, _sharing(case), reason)
        except ValidationError as error:
            row.errors.update(errors_of(error))
            return
        self.outcome.versions[row.reference] = case.version
        if status.get("status") and status["status"] != case.status:
            self._check_path(row, SimpleNamespace(**{
                **values, "status": case.status, "status_changed_on": case.status_changed_on,
                "subject": _StandIn(subject)}), status)

    def _check_path(self, row, case, status) -> None:
        """Every step from the case's status to the row's, as `case_transition` checks it."""
        steps = self._steps(row, case.status, status)
        if not steps:
            return
        on = status.get("status_changed_on") or today()
        for step in steps:
            closing = status.get("closure_reason", "") if step == steps[-1] else ""
            try:
                errors = _transition_errors(case, step, on, closing)
                if errors:
                    raise ValidationError(errors)
                if not hasattr(case, "consultations"):
                    case.consultations = []
                _require_consultation(case, step)
            except ValidationError as error:
                row.errors["status"] = " ".join(errors_of(error).values())
                return
            if step == Case.Status.SURRENDERED and case.surrender_date is None:
                case.surrender_date = on
            case.status, case.status_changed_on = step, on

    def _steps(self, row, start: str, status: dict) -> list[str] | None:
        goal = status.get("status")
        if not goal or goal == start:
            return []
        if start in INITIAL_STATUSES and goal in INITIAL_STATUSES:
            return [goal]
        path = forward_path(start, goal)
        if path is None:
            row.errors["status"] = _("A case at '%(from)s' cannot move on to '%(to)s'.") % {
                "from": start, "to": goal}
        return path

    def _write(self, new_subjects, new_cases, updates) -> None:
        made = subjects_create_many(
            actor=self.actor, organisation=self.organisation,
            items=[{**s.stand_in[1], "nationalities": s.stand_in[2]} for s in new_subjects])
        real = {}
        for stand_in, subject in zip(new_subjects, made, strict=True):
            real[id(stand_in)] = subject
        self.remember(Target.SUBJECT, [(s.stand_in[0], real[id(s)], s.stand_in[3])
                                       for s in new_subjects])
        items = []
        for _row, subject, case_fields, offences, status, reason, _d in new_cases:
            start = status.get("status")
            items.append({**case_fields, "subject": real.get(id(subject), subject),
                          "offences": offences or [], "consent_override_reason": reason,
                          "status": start if start in INITIAL_STATUSES else
                          Case.Status.REQUEST_RECEIVED})
        cases = cases_create_many(actor=self.actor, organisation=self.organisation, items=items)
        for case, (row, *_rest, status, _reason, _d) in zip(cases, new_cases, strict=True):
            self._move(row, case, status)
        self.remember(Target.CASE, [(row.reference, case, value) for case, (row, *_r, value)
                                    in zip(cases, new_cases, strict=True)])
        for update in updates:
            self._update(*update)
        self.settle([u[0] for u in updates] + [n[0] for n in new_cases])
        keyring.release([subject.data_key_id for subject in made])

    def _move(self, row, case, status) -> None:
        steps = [] if case.status == status.get("status") else self._steps(
            row, case.status, status) or []
        if not steps:
            return
        on = status.get("status_changed_on") or today()
        for step in steps:
            closing = status.get("closure_reason", "") if step == steps[-1] else ""
            try:
                case_transition(actor=self.actor, case=case, to=step, on=on,
                                closure_reason=closing)
            except ValidationError as error:
                row.errors["status"] = " ".join(errors_of(error).values())
                return

    def _update(self, row, case, subject, subject_change, case_fields, offences, status, reason,
                known, value) -> None:
        try:
            if subject_change is not None:
                known_subject, fields, nationalities, subject_value = subject_change
                subject_update(actor=self.actor, subject=subject, version=subject.version,
                               nationalities=nationalities or None, **fields)
                self.restamp(known_subject, subject_value)
            if known.digest != value:
                changes = {**case_fields}
                if subject.pk != case.subject_id:
                    changes["subject"] = subject
                case_update(actor=self.actor, case=case,
                            version=self.versions.get(row.reference, case.version),
                            offences=offences, consent_override_reason=reason, **changes)
                self._move(row, case, status)
                self.restamp(known, value)
        except ValidationError as error:
            row.errors.update(errors_of(error))
        except Conflict as conflict:
            row.errors["external_reference"] = str(conflict.message)


class _StandIn:
    """A subject's nationalities as `nationality_consultation` reads them, before it exists."""

    def __init__(self, subject):
        if hasattr(subject, "stand_in"):
            items = [SubjectNationality(country=country) for country in subject.stand_in[4]]
        else:
            items = list(subject.nationalities.all())
        self.nationalities = SimpleNamespace(all=lambda: items)
