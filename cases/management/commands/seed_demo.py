"""Demo organisations, accounts and cases, written through the services like any other data.

Every person, organisation name, reference number and contact below is invented. The states,
treaties and procedures are real: the France–China, Spain–China and Italy–China extradition
treaties come from the reference data, and the German national arrested in France shows the
Petruhhin duty to inform the state of nationality.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.models import (
    Assurance,
    Case,
    Country,
    LegalInstrument,
    Membership,
    Offence,
    Organisation,
    ProceedingEvent,
    Subject,
)
from cases.models.sharing import TLP, Distribution
from monitoring import services as monitoring
from monitoring.models import Finding, FollowUp

from .create_organisation import one_line

DEMO_PASSWORD = "demo-password-2026"
STAFF_USERNAME = "staff"
SHARING_GROUP_NAME = "FR–DE–BE monitoring group"

Kind = Organisation.Kind
Role = Membership.Role
ROLE_SHORT = {Role.CASEWORKER: "caseworker", Role.LIAISON: "liaison",
              Role.AUDITOR: "auditor", Role.ORG_ADMIN: "admin"}
ALL_ROLES = (Role.CASEWORKER, Role.LIAISON, Role.AUDITOR, Role.ORG_ADMIN)

# slug, name, kind, country, roles with a demo account
ORGANISATIONS = [
    ("ngo-fr", "Garde-Fou Extraditions (demo)", Kind.NGO, "FR", ALL_ROLES),
    ("justice-fr", "French Ministry of Justice, extradition desk (demo)", Kind.MINISTRY, "FR",
     (Role.CASEWORKER, Role.LIAISON, Role.ORG_ADMIN)),
    ("ministry-de", "German Federal Foreign Office, legal assistance unit (demo)",
     Kind.MINISTRY, "DE", ALL_ROLES),
    ("ngo-de", "Wachposten Rechtsschutz e.V. (demo)", Kind.NGO, "DE",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("ngo-be", "Ligue Balise Belgique (demo)", Kind.NGO, "BE",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("ngo-it", "Osservatorio Promesse Mantenute (demo)", Kind.NGO, "IT",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("audit-eu", "European Assurance Review Office (demo)", Kind.AUDIT_BODY, "BE",
     (Role.AUDITOR, Role.ORG_ADMIN)),
]


def username(slug: str, role: str) -> str:
    return f"{slug}.{ROLE_SHORT[role]}"


DEMO_USERNAMES = [
    username(slug, role) for slug, *_rest, roles in ORGANISATIONS for role in roles
]
DEMO_SLUGS = [slug for slug, *_rest in ORGANISATIONS]

A = Assurance.Type
P = ProceedingEvent.Kind
S = Case.Status
Outcome = Finding.Outcome
Category = Offence.Category


@dataclass
class Step:
    to: str
    days_ago: int
    note: str = ""
    by: str = Role.CASEWORKER
    closure_reason: str = ""


@dataclass
class Check:
    """A visit reported `days_ago`: a finding per assurance of the case, "complied" unless
    `outcomes` says otherwise ({assurance type: outcome}). A refused visit checks nothing: its
    findings are "unverifiable", and the refusal itself denies the monitoring access."""

    days_ago: int
    outcomes: dict[str, str] = field(default_factory=dict)
    access: str = "granted"
    visitors: str = "Consular officials"
    narrative: str = ""


@dataclass
class DemoCase:
    owner: str
    subject: dict[str, Any]
    nationalities: list[tuple[str, int | None]]
    case: dict[str, Any]
    offences: list[tuple[str, str, str]]
    steps: list[Step] = field(default_factory=list)
    proceedings: list[dict[str, Any]] = field(default_factory=list)
    assurances: list[dict[str, Any]] = field(default_factory=list)
    named_recipients: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def _checks(first: int, last: int, every: int, **special: Check) -> list[Check]:
    """Visits from `first` days ago to `last`, one each `every` days; `special` replaces the
    visit of the same day ("d120": a Check for 120 days ago)."""
    days = range(first, last - 1, -every)
    return [special.get(f"d{d}", Check(d)) for d in days]


def _assurance(type_: str, days_ago: int, text: str, **fields) -> dict[str, Any]:
    values = {
        "type": type_,
        "days_ago": days_ago,
        "verbatim_text": text,
        "form": Assurance.Form.DIPLOMATIC_NOTE,
        "binding": None,
        "issuer": "Ministry of Foreign Affairs of the People's Republic of China",
        "issuer_level": Assurance.IssuerLevel.CENTRAL_GOVERNMENT,
        "disclosed_to_court": True,
    }
    values.update(fields)
    return values


def _visits(days_ago: int, who: str, every: int, **fields) -> dict[str, Any]:
    return _assurance(
        A.MONITORING_ACCESS,
        days_ago,
        f"Consular officials of {who} may visit the person in detention at least every "
        f"{every} days, and attend the trial.",
        monitoring_who=f"Consular officials of {who}",
        monitoring_frequency_days=every,
        **fields,
    )


_FR_TREATY = ("FR", "CN", "extradition_treaty")
_ES_TREATY = ("ES", "CN", "extradition_treaty")
_IT_TREATY = ("IT", "CN", "extradition_treaty")
_SHARED = {"distribution": Distribution.SHARING_GROUP, "tlp": TLP.AMBER}
_NETWORK = {"distribution": Distribution.NETWORK, "tlp": TLP.GREEN}
_PROCUREMENT_FRAUD = (
    "Embezzlement of public funds in a provincial procurement scheme (fictional)",
    Category.ECONOMIC,
    "Life imprisonment; death penalty in exceptionally serious cases",
)

DEMO_CASES: list[DemoCase] = [
    # Surrendered under the France–China treaty and monitored since.
    DemoCase(
        owner="ngo-fr",
        subject={"full_name": "Lin Example", "date_of_birth": datetime.date(1971, 3, 14),
                 "contacts": "Lawyer: Maître Exemple, +33 1 00 00 00 01 (fictional)",
                 "consent_to_record": True, "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "FR", "channel": Case.Channel.EXTRADITION, "instrument": _FR_TREATY,
              "interpol_notice": Case.InterpolNotice.RED, "interpol_reference": "DEMO-RN-0001",
              "request": 560, "arrest": 555, "decision": 380, "status": S.PROVISIONAL_ARREST,
              **_SHARED},
        offences=[_PROCUREMENT_FRAUD],
        steps=[
            Step(S.JUDICIAL_PHASE, 540, "Referred to the investigating chamber."),
            Step(S.ASSURANCES_REQUESTED, 500, "Chamber asks for guarantees on penalty and "
                 "detention."),
            Step(S.ASSURANCES_ASSESSED, 440, "Chamber finds the guarantees sufficient."),
            Step(S.EXECUTIVE_DECISION, 380, "Extradition decree signed."),
            Step(S.SURRENDERED, 300, "Handed over at the airport."),
            Step(S.MONITORING_ACTIVE, 299, "Consular visits begin."),
        ],
        proceedings=[
            {"kind": P.HEARING, "days_ago": 520, "authority": "Investigating chamber, Paris",
             "description": "First hearing on the request.", "outcome": "Adjourned for "
             "guarantees."},
            {"kind": P.DECISION, "days_ago": 440, "authority": "Investigating chamber, Paris",
             "description": "Opinion on the request.", "outcome": "Favourable opinion."},
            {"kind": P.APPEAL, "days_ago": 410, "authority": "Court of Cassation",
             "description": "Appeal on points of law.", "outcome": "Dismissed."},
            {"kind": P.CUSTODY_TRANSFER, "days_ago": 300, "authority": "Border police",
             "description": "Transfer to the requesting state's escort.", "outcome": ""},
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 470, "The death penalty will not be sought, and if "
                       "imposed will not be carried out.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_CARRIED_OUT,
                       form=Assurance.Form.TREATY_CLAUSE, binding=True),
            _assurance(A.NO_TORTURE, 470, "The person will not be subjected to torture or "
                       "cruel, inhuman or degrading treatment."),
            _assurance(A.FAIR_TRIAL, 470, "The person will be tried in public by a court "
                       "established by law, with a lawyer of their choice."),
            _visits(470, "France", 30, monitoring_private=True, monitoring_unannounced=False),
            _assurance(A.FAMILY_CONTACT, 470, "The family may visit once a month.",
                       disclosed_to_court=False),
        ],
        checks=_checks(
            297, 27, 30,
            d177=Check(177, {A.NO_TORTURE: Outcome.COMPLIED_WITH_CONCERNS},
                       narrative="Marked weight loss; says the cell is unheated."),
            d117=Check(117, access="refused",
                       narrative="Turned away at the gate: 'investigation in progress'."),
            d87=Check(87, {A.FAIR_TRIAL: Outcome.PARTIAL},
                      narrative="Trial held with a court-appointed lawyer only."),
        ),
    ),
    # A German national arrested in France on a Red Notice: Germany must be informed first.
    DemoCase(
        owner="ngo-fr",
        subject={"full_name": "Karl Beispiel-Wang", "date_of_birth": datetime.date(1985, 9, 2),
                 "contacts": "Sister: +49 30 0000 0002 (fictional)",
                 "consent_to_record": True, "consent_to_share": True},
        nationalities=[("DE", 6000), ("CN", None)],
        case={"requested": "FR", "channel": Case.Channel.EXTRADITION, "instrument": _FR_TREATY,
              "interpol_notice": Case.InterpolNotice.RED, "interpol_reference": "DEMO-RN-0002",
              "request": 75, "arrest": 80, "status": S.PROVISIONAL_ARREST, **_SHARED},
        offences=[("Fraud by a trading company (fictional)", Category.ECONOMIC,
                   "Ten years' imprisonment")],
        steps=[
            Step(S.NATIONALITY_CONSULTATION, 70, "German national: Germany to be informed "
                 "(Petruhhin)."),
            Step(S.JUDICIAL_PHASE, 30, "Germany informed; it has not asked for surrender."),
        ],
        proceedings=[
            {"kind": P.NATIONALITY_CONSULTATION, "days_ago": 65, "consulted_state": "DE",
             "authority": "Prosecutor General, Paris",
             "description": "German authorities informed of the request through Eurojust.",
             "outcome": "No European Arrest Warrant issued by Germany."},
            {"kind": P.HEARING, "days_ago": -21, "authority": "Investigating chamber, Paris",
             "description": "Hearing on the request.", "outcome": ""},
        ],
    ),
    # Guarantees received and assessed; network-wide, so every organisation sees it.
    DemoCase(
        owner="ngo-fr",
        subject={"full_name": "Hua Sample", "consent_to_record": True, "consent_to_share": True,
                 "contacts": "Lawyer: Maître Modèle, +33 4 00 00 00 03 (fictional)"},
        nationalities=[("CN", None)],
        case={"requested": "FR", "channel": Case.Channel.EXTRADITION, "instrument": _FR_TREATY,
              "interpol_notice": Case.InterpolNotice.RED, "interpol_reference": "DEMO-RN-0003",
              "request": 230, "arrest": 228, "status": S.PROVISIONAL_ARREST, **_NETWORK},
        offences=[("Bribery of officials (fictional)", Category.ECONOMIC, "Fifteen years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 210),
            Step(S.ASSURANCES_REQUESTED, 160),
            Step(S.ASSURANCES_ASSESSED, 60, "Guarantees found precise but unverified."),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 120, "The death penalty will not be sought.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_SOUGHT),
            _assurance(A.NO_TORTURE, 120, "No torture or ill-treatment in any phase of "
                       "custody."),
            _assurance(A.DETENTION_CONDITIONS, 120, "Detention in a facility meeting the UN "
                       "Standard Minimum Rules."),
            _assurance(A.LAWYER_ACCESS, 120, "Access to a lawyer of the person's choice from "
                       "arrival."),
            _visits(120, "France", 15, monitoring_private=True, monitoring_unannounced=True),
        ],
    ),
    # Refused: a recognised refugee. TLP:RED, so only named people of the owner see it.
    DemoCase(
        owner="ngo-fr",
        subject={"full_name": "Zhao Placeholder", "refugee_status": Subject.RefugeeStatus.REFUGEE,
                 "protection_state": "FR", "reprisal_risk": True, "consent_to_record": True,
                 "notes": "Family in the requesting state under pressure (fictional)."},
        nationalities=[("CN", None)],
        case={"requested": "FR", "channel": Case.Channel.EXTRADITION, "instrument": _FR_TREATY,
              "request": 330, "decision": 180, "status": S.REQUEST_RECEIVED,
              "distribution": Distribution.ORGANISATION, "tlp": TLP.RED},
        offences=[("Separatism (fictional charge)", Category.POLITICAL, "Life imprisonment")],
        steps=[
            Step(S.JUDICIAL_PHASE, 300),
            Step(S.ASSURANCES_REQUESTED, 260),
            Step(S.ASSURANCES_ASSESSED, 220),
            Step(S.REFUSED, 180, "Political offence; the person is a recognised refugee."),
        ],
        proceedings=[
            {"kind": P.INTERIM_MEASURE, "days_ago": 250, "authority": "European Court of "
             "Human Rights", "description": "Rule 39 request.", "outcome": "Interim measure "
             "granted: no removal while the case is pending."},
            {"kind": P.DECISION, "days_ago": 180, "authority": "Investigating chamber, Lyon",
             "description": "Opinion on the request.", "outcome": "Unfavourable opinion."},
        ],
        assurances=[
            _assurance(A.NO_PERSECUTION, 240, "The person will not be prosecuted for political "
                       "opinions."),
            _assurance(A.FAIR_TRIAL, 240, "The person will have a fair and public trial."),
            _assurance(A.NO_DEATH_PENALTY, 240, "The death penalty will not be imposed.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED),
        ],
        named_recipients=[Role.ORG_ADMIN],
    ),
    # The justice ministry's file awaiting the executive decision; counted only in aggregates.
    DemoCase(
        owner="justice-fr",
        subject={"full_name": "Meng Testperson", "consent_to_record": True},
        nationalities=[("CN", None)],
        case={"requested": "FR", "channel": Case.Channel.EXTRADITION, "instrument": _FR_TREATY,
              "request": 270, "arrest": 265, "decision": 20, "status": S.PROVISIONAL_ARREST,
              "distribution": Distribution.AGGREGATE_ONLY, "tlp": TLP.AMBER_STRICT},
        offences=[("Trafficking of controlled substances (fictional)", Category.DRUGS,
                   "Death penalty")],
        steps=[
            Step(S.JUDICIAL_PHASE, 250),
            Step(S.ASSURANCES_REQUESTED, 200),
            Step(S.ASSURANCES_ASSESSED, 150),
            Step(S.EXECUTIVE_DECISION, 20, "Decree under consideration.", by=Role.LIAISON),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 170, "A death sentence, if imposed, will not be "
                       "carried out.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_CARRIED_OUT),
            _assurance(A.NO_TORTURE, 170, "No torture or ill-treatment."),
            _visits(170, "France", 30, monitoring_private=False),
        ],
    ),
    # Surrendered to China from Spain five days ago: the first visit is due.
    DemoCase(
        owner="ngo-fr",
        subject={"full_name": "Wu Ficticio", "consent_to_record": True,
                 "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "ES", "channel": Case.Channel.EXTRADITION, "instrument": _ES_TREATY,
              "request": 420, "arrest": 410, "decision": 100, "status": S.PROVISIONAL_ARREST,
              "distribution": Distribution.NETWORK, "tlp": TLP.CLEAR},
        offences=[("Telecommunications fraud (fictional)", Category.CYBER, "Twelve years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 400),
            Step(S.ASSURANCES_REQUESTED, 300),
            Step(S.ASSURANCES_ASSESSED, 250),
            Step(S.EXECUTIVE_DECISION, 100),
            Step(S.SURRENDERED, 5, "Surrendered; first visit due within 48 hours."),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 270, "The death penalty will not be imposed.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED),
            _assurance(A.NO_TORTURE, 270, "No torture or ill-treatment."),
            _assurance(A.LAWYER_ACCESS, 270, "Access to a lawyer within 24 hours of arrival."),
            _visits(270, "Spain", 15, monitoring_private=True),
        ],
    ),
    # No treaty with Germany: ad hoc assurances, awaiting the federal government's decision.
    DemoCase(
        owner="ministry-de",
        subject={"full_name": "Qian Mustermann", "consent_to_record": True,
                 "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "DE", "channel": Case.Channel.EXTRADITION, "instrument": None,
              "legal_basis_note": "No bilateral treaty: request on reciprocity with ad hoc "
              "assurances.",
              "request": 300, "arrest": 290, "decision": 15, "status": S.PROVISIONAL_ARREST,
              **_SHARED},
        offences=[("Misappropriation of company funds (fictional)", Category.ECONOMIC,
                   "Ten years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 280, by=Role.LIAISON),
            Step(S.ASSURANCES_REQUESTED, 240, by=Role.LIAISON),
            Step(S.ASSURANCES_ASSESSED, 120),
            Step(S.EXECUTIVE_DECISION, 15, "Federal approval pending.", by=Role.LIAISON),
        ],
        proceedings=[
            {"kind": P.DECISION, "days_ago": 130, "authority": "Higher Regional Court, Berlin",
             "description": "Admissibility of the extradition.", "outcome": "Admissible, "
             "subject to the assurances."},
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 180, "The death penalty will not be imposed.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED),
            _assurance(A.NO_TORTURE, 180, "No torture or ill-treatment."),
            _assurance(A.SPECIALITY, 180, "The person will be tried only for the offences of "
                       "the request."),
            _visits(180, "Germany", 14, monitoring_private=True, monitoring_unannounced=False,
                    issuer="Embassy of the People's Republic of China in Berlin",
                    issuer_level=Assurance.IssuerLevel.EMBASSY),
        ],
    ),
    # Withdrawn by the requesting state.
    DemoCase(
        owner="ministry-de",
        subject={"full_name": "Sun Platzhalter"},
        nationalities=[("CN", None)],
        case={"requested": "DE", "channel": Case.Channel.EXTRADITION, "instrument": None,
              "request": 520, "status": S.REQUEST_RECEIVED,
              "distribution": Distribution.ORGANISATION, "tlp": TLP.AMBER},
        offences=[("Tax evasion (fictional)", Category.ECONOMIC, "Seven years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 500, by=Role.LIAISON),
            Step(S.WITHDRAWN, 420, "Request withdrawn by the requesting state.",
                 by=Role.LIAISON),
        ],
    ),
    # A deportation with an asylum claim pending.
    DemoCase(
        owner="ngo-de",
        subject={"full_name": "Feng Beispiel", "refugee_status":
                 Subject.RefugeeStatus.ASYLUM_SEEKER, "protection_state": "DE",
                 "reprisal_risk": True, "do_not_contact": True, "consent_to_record": True,
                 "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "DE", "channel": Case.Channel.DEPORTATION, "instrument": None,
              "request": 100, "status": S.REQUEST_RECEIVED, **_NETWORK},
        offences=[("Unlawful stay (fictional)", Category.OTHER, "")],
        steps=[Step(S.JUDICIAL_PHASE, 90, "Appeal against the deportation order.")],
        proceedings=[
            {"kind": P.HEARING, "days_ago": 45, "authority": "Administrative Court, Hamburg",
             "description": "Hearing on the appeal.", "outcome": "Decision reserved."},
        ],
        assurances=[
            _assurance(A.NO_PERSECUTION, 60, "The person will not be prosecuted for having "
                       "applied for asylum.",
                       issuer="Embassy of the People's Republic of China in Berlin",
                       issuer_level=Assurance.IssuerLevel.EMBASSY, disclosed_to_court=None),
            _assurance(A.NO_TORTURE, 60, "No ill-treatment on return.",
                       form=Assurance.Form.ORAL, binding=False, disclosed_to_court=False,
                       issuer="Embassy of the People's Republic of China in Berlin",
                       issuer_level=Assurance.IssuerLevel.EMBASSY),
        ],
    ),
    # Belgium: the treaty is not in force; assurances requested.
    DemoCase(
        owner="ngo-be",
        subject={"full_name": "Tang Exemplaire", "consent_to_record": True,
                 "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "BE", "channel": Case.Channel.EXTRADITION, "instrument": None,
              "legal_basis_note": "The Belgium–China treaty is not in force; ad hoc request.",
              "interpol_notice": Case.InterpolNotice.RED, "interpol_reference": "DEMO-RN-0010",
              "request": 150, "arrest": 160, "status": S.PROVISIONAL_ARREST, **_SHARED},
        offences=[("Money laundering (fictional)", Category.ECONOMIC, "Fifteen years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 140),
            Step(S.ASSURANCES_REQUESTED, 50, "Chamber asks for guarantees on detention."),
        ],
    ),
    # Surrendered from Italy two years ago; visits continue.
    DemoCase(
        owner="ngo-it",
        subject={"full_name": "Guo Esempio", "consent_to_record": True,
                 "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "IT", "channel": Case.Channel.EXTRADITION, "instrument": _IT_TREATY,
              "request": 900, "arrest": 890, "decision": 760, "status": S.PROVISIONAL_ARREST,
              **_NETWORK},
        offences=[_PROCUREMENT_FRAUD],
        steps=[
            Step(S.JUDICIAL_PHASE, 880),
            Step(S.ASSURANCES_REQUESTED, 850),
            Step(S.ASSURANCES_ASSESSED, 800),
            Step(S.EXECUTIVE_DECISION, 760),
            Step(S.SURRENDERED, 730),
            Step(S.MONITORING_ACTIVE, 729),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 820, "The death penalty will not be imposed.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED,
                       form=Assurance.Form.TREATY_CLAUSE, binding=True),
            _assurance(A.NO_TORTURE, 820, "No torture or ill-treatment."),
            _assurance(A.FAIR_TRIAL, 820, "A public trial with a lawyer of the person's "
                       "choice."),
            _visits(820, "Italy", 15, monitoring_private=True),
            _assurance(A.FAMILY_CONTACT, 820, "Monthly family visits."),
        ],
        checks=_checks(
            727, 7, 60,
            d367=Check(367, {A.NO_TORTURE: Outcome.ALLEGATION_PENDING},
                       narrative="Reports beatings during interrogation; bruising seen."),
            d247=Check(247, access="refused"),
            d127=Check(127, {A.FAMILY_CONTACT: Outcome.PARTIAL},
                       narrative="Family visits allowed every second month only."),
        ),
    ),
    # Monitoring closed on release; counted in aggregates only.
    DemoCase(
        owner="ngo-it",
        subject={"full_name": "Ma Fittizio", "consent_to_record": True},
        nationalities=[("CN", None)],
        case={"requested": "IT", "channel": Case.Channel.EXTRADITION, "instrument": _IT_TREATY,
              "request": 1200, "arrest": 1190, "decision": 1080, "status": S.PROVISIONAL_ARREST,
              "distribution": Distribution.AGGREGATE_ONLY, "tlp": TLP.AMBER},
        offences=[("Illegal fundraising (fictional)", Category.ECONOMIC, "Ten years")],
        steps=[
            Step(S.JUDICIAL_PHASE, 1180),
            Step(S.ASSURANCES_REQUESTED, 1150),
            Step(S.ASSURANCES_ASSESSED, 1100),
            Step(S.EXECUTIVE_DECISION, 1080),
            Step(S.SURRENDERED, 1050),
            Step(S.MONITORING_ACTIVE, 1049),
            Step(S.MONITORING_CLOSED, 40, "Released after serving the sentence.",
                 closure_reason=Case.ClosureReason.SENTENCE_SERVED),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, 1120, "The death penalty will not be imposed.",
                       death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED),
            _assurance(A.NO_TORTURE, 1120, "No torture or ill-treatment."),
            _visits(1120, "Italy", 30, monitoring_private=False),
        ],
        checks=_checks(
            1047, 57, 90,
            d597=Check(597, access="refused"),
            d327=Check(327, {A.NO_TORTURE: Outcome.UNVERIFIABLE},
                       narrative="Visit in the presence of guards throughout."),
        ),
    ),
]


class Command(BaseCommand):
    help = (
        "Load the demo: organisations in France, Germany, Belgium and Italy, an audit body, "
        "an account for each role, a sharing group and a dozen fictional cases. Running it "
        "again changes nothing."
    )

    def handle(self, *args, **options):
        User = get_user_model()
        slugs = set(Organisation.objects.filter(slug__in=DEMO_SLUGS).values_list("slug",
                                                                                 flat=True))
        usernames = set(
            User.objects.filter(username__in=[*DEMO_USERNAMES, STAFF_USERNAME]).values_list(
                "username", flat=True
            )
        )
        if len(slugs) == len(DEMO_SLUGS) and len(usernames) == len(DEMO_USERNAMES) + 1:
            self.stdout.write("The demo data is already loaded; nothing changed.")
            self._print_accounts()
            return
        if slugs or usernames:
            taken = sorted(slugs | usernames)
            raise CommandError(
                "Part of the demo is in the database but not all of it, so it holds other "
                f"data: {', '.join(taken)} exist already. Nothing changed."
            )
        try:
            with transaction.atomic():
                counts = self._load()
        except ValidationError as error:
            raise CommandError(f"The demo data did not load: {one_line(error)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo: {counts['organisations']} organisations, "
                f"{counts['accounts']} accounts, {counts['cases']} cases."
            )
        )
        self._print_accounts()

    # --- loading -----------------------------------------------------------------------------

    def _load(self) -> dict[str, int]:
        User = get_user_model()
        operator = services.Operator("seed_demo")
        organisations: dict[str, Organisation] = {}
        users: dict[str, Any] = {}
        for slug, name, kind, country, roles in ORGANISATIONS:
            organisation = services.organisation_create(
                actor=operator, slug=slug, name=name, kind=kind, country=_country(country)
            )
            organisations[slug] = organisation
            for role in roles:
                user = User.objects.create_user(
                    username(slug, role),
                    email=f"{username(slug, role)}@demo.invalid",
                    password=DEMO_PASSWORD,
                )
                services.membership_create(
                    actor=operator, organisation=organisation, user=user, role=role
                )
                users[user.username] = user
        User.objects.create_superuser(
            STAFF_USERNAME, email=f"{STAFF_USERNAME}@demo.invalid", password=DEMO_PASSWORD
        )

        group = services.sharing_group_create(
            actor=users[username("ngo-fr", Role.ORG_ADMIN)],
            organisation=organisations["ngo-fr"],
            name=SHARING_GROUP_NAME,
            description="Cases of nationals of, or arrested in, France, Germany and Belgium.",
            members=[organisations["ministry-de"], organisations["ngo-be"]],
        )
        for demo in DEMO_CASES:
            _load_case(demo, organisations[demo.owner], users, group)
        _call_due_now(organisations["ngo-fr"], users)
        return {
            "organisations": len(organisations),
            "accounts": len(users) + 1,
            "cases": len(DEMO_CASES),
        }

    def _print_accounts(self) -> None:
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for slug, name, _kind, country, roles in ORGANISATIONS:
            for role in roles:
                self.stdout.write(f"  {username(slug, role):<24} {role:<11} {name} ({country})")
        self.stdout.write(f"  {STAFF_USERNAME:<24} {'superuser':<11} platform staff")


def _call_due_now(owner: Organisation, users: dict) -> FollowUp:
    """A call to the family of the French NGO's monitored person, due from now on and assigned to
    its caseworker: the first sweep after `make run` alerts them, so a newcomer sees one come."""
    caseworker = users[username(owner.slug, Role.CASEWORKER)]
    case = Case.objects.filter(owner=owner, status=S.MONITORING_ACTIVE).order_by("created_at")[0]
    now = timezone.now()
    return monitoring.follow_up_create(
        actor=caseworker, case=case, window_opens_at=now, due_at=now + datetime.timedelta(days=2),
        mode=FollowUp.Mode.CALL, assignee=caseworker,
        note="Call the family: the last visit found marked weight loss.",
    )


def _country(code: str) -> Country:
    country = Country.objects.filter(code=code).first()
    if country is None:
        raise CommandError(f"Country {code} is missing from the reference data: run migrate.")
    return country


def _instrument(key: tuple[str, str, str] | None) -> LegalInstrument | None:
    if key is None:
        return None
    party_a, party_b, kind = key
    instrument = LegalInstrument.objects.filter(
        party_a_id=party_a, party_b_id=party_b, kind=kind
    ).first()
    if instrument is None:
        raise CommandError(
            f"The {kind} between {party_a} and {party_b} is missing from the reference data: "
            "run migrate."
        )
    return instrument


def _load_case(demo: DemoCase, owner: Organisation, users: dict, group) -> Case:
    today = timezone.localdate()

    def day(days_ago: int | None) -> datetime.date | None:
        return None if days_ago is None else today - datetime.timedelta(days=days_ago)

    def member(role: str):
        return users[username(owner.slug, role)]

    caseworker = member(Role.CASEWORKER)
    subject_fields = dict(demo.subject)
    if "protection_state" in subject_fields:
        subject_fields["protection_state"] = _country(subject_fields["protection_state"])
    subject = services.subject_create(
        actor=caseworker,
        organisation=owner,
        nationalities=[
            {"country": _country(code), "acquired_on": day(acquired)}
            for code, acquired in demo.nationalities
        ],
        **subject_fields,
    )

    spec = dict(demo.case)
    sharing_group = group if spec["distribution"] == Distribution.SHARING_GROUP else None
    case = services.case_create(
        actor=caseworker,
        organisation=owner,
        subject=subject,
        status=spec.pop("status"),
        requesting_state=_country("CN"),
        requested_state=_country(spec.pop("requested")),
        legal_instrument=_instrument(spec.pop("instrument")),
        request_date=day(spec.pop("request", None)),
        arrest_date=day(spec.pop("arrest", None)),
        decision_date=day(spec.pop("decision", None)),
        sharing_group=sharing_group,
        offences=[
            {"description": description, "category": category, "max_penalty": penalty}
            for description, category, penalty in demo.offences
        ],
        named_recipients=[member(role) for role in demo.named_recipients],
        **spec,
    )

    # Everything that happened, oldest first; on one day, proceedings before status changes.
    events: list[tuple[int, int, Any]] = []
    for proceeding in demo.proceedings:
        fields = dict(proceeding)
        days_ago = fields.pop("days_ago")
        if "consulted_state" in fields:
            fields["consulted_state"] = _country(fields["consulted_state"])
        events.append((days_ago, 0, _proceeding(caseworker, case, day(days_ago), fields)))
    for assurance in demo.assurances:
        fields = dict(assurance)
        days_ago = fields.pop("days_ago")
        events.append((days_ago, 1, _assurance_writer(caseworker, case, day(days_ago), fields)))
    for step in demo.steps:
        events.append((step.days_ago, 2, _transition(member(step.by), case, step, day)))
    for check in demo.checks:
        events.append((check.days_ago, 3, _report(caseworker, case, check, day)))
    for _days_ago, _order, write in sorted(events, key=lambda e: (-e[0], e[1])):
        write()
    return case


def _proceeding(actor, case: Case, on: datetime.date, fields: dict):
    return lambda: services.proceeding_create(actor=actor, case=case, date=on, **fields)


def _assurance_writer(actor, case: Case, on: datetime.date, fields: dict):
    return lambda: services.assurance_create(actor=actor, case=case, given_on=on, **fields)


SEVERITY = {Outcome.COMPLIED: "low", Outcome.COMPLIED_WITH_CONCERNS: "medium",
            Outcome.PARTIAL: "medium", Outcome.UNVERIFIABLE: "medium",
            Outcome.ALLEGATION_PENDING: "high", Outcome.BREACH: "critical"}


def _report(actor, case: Case, check: Check, day):
    """The visit reported on the case's open check (the first visit, then each next one the
    plan schedules), with a finding per assurance."""
    def write():
        follow_up = (
            FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN,
                                    kind__in=(FollowUp.Kind.FIRST_VISIT, FollowUp.Kind.CADENCE))
            .order_by("due_at").first()
        )
        granted = check.access == "granted"
        usual = Outcome.COMPLIED if granted else Outcome.UNVERIFIABLE
        findings = [
            {"assurance": assurance, "outcome": outcome, "severity": SEVERITY[outcome],
             "evidence_summary": check.narrative if outcome != Outcome.COMPLIED else ""}
            for assurance in case.assurances.order_by("type")
            # The service adds the refusal's own finding on the monitoring-access promise.
            if granted or assurance.type != A.MONITORING_ACCESS
            for outcome in [check.outcomes.get(assurance.type, usual)]
        ]
        monitoring.report_submit(
            actor=actor, follow_up=follow_up, findings=findings, access=check.access,
            checked_at=datetime.datetime.combine(day(check.days_ago), datetime.time(11),
                                                 tzinfo=datetime.UTC),
            visitors=check.visitors, narrative=check.narrative,
            refusal_reason="None given" if check.access == "refused" else "",
        )
    return write


def _transition(actor, case: Case, step: Step, day):
    return lambda: services.case_transition(
        actor=actor,
        case=case,
        to=step.to,
        on=day(step.days_ago),
        note=step.note,
        closure_reason=step.closure_reason,
    )
