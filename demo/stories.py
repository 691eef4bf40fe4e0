"""The demo's cases: a dozen fictional people on real treaties, each with what happened since.

Every person, reference number and contact is invented. The states, treaties and procedures are
real: the France–China, Spain–China and Italy–China extradition treaties come from the reference
data, and the German national arrested in France shows the Petruhhin duty to inform the state of
nationality.
"""

from __future__ import annotations

import datetime
from typing import Any

from cases.models import Assurance, Case, Membership, Offence, ProceedingEvent, Subject
from cases.models.sharing import TLP, Distribution
from monitoring.models import Finding

from .case_records import DemoCase, Step
from .visits import Check, checks

Role = Membership.Role
A = Assurance.Type
P = ProceedingEvent.Kind
S = Case.Status
Outcome = Finding.Outcome
Category = Offence.Category


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


def _italian_return(name: str, surrendered: int, sharing: dict, offence: tuple,
                    **special: Check) -> DemoCase:
    """A person surrendered from Italy `surrendered` days ago under the treaty, visited by
    Italian consular officials every 60 days since."""
    return DemoCase(
        owner="ngo-it",
        subject={"full_name": name, "consent_to_record": True, "consent_to_share": True},
        nationalities=[("CN", None)],
        case={"requested": "IT", "channel": Case.Channel.EXTRADITION, "instrument": _IT_TREATY,
              "request": surrendered + 170, "arrest": surrendered + 160,
              "decision": surrendered + 30, "status": S.PROVISIONAL_ARREST, **sharing},
        offences=[offence],
        steps=[
            Step(S.JUDICIAL_PHASE, surrendered + 150),
            Step(S.ASSURANCES_REQUESTED, surrendered + 120),
            Step(S.ASSURANCES_ASSESSED, surrendered + 60),
            Step(S.EXECUTIVE_DECISION, surrendered + 30),
            Step(S.SURRENDERED, surrendered),
            Step(S.MONITORING_ACTIVE, surrendered - 1),
        ],
        assurances=[
            _assurance(A.NO_DEATH_PENALTY, surrendered + 90, "The death penalty will not be "
                       "imposed.", death_penalty_scope=Assurance.DeathPenaltyScope.NOT_IMPOSED),
            _assurance(A.NO_TORTURE, surrendered + 90, "No torture or ill-treatment."),
            _visits(surrendered + 90, "Italy", 60, monitoring_private=True),
        ],
        checks=checks(surrendered - 3, 30, 60, **special),
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
        checks=checks(
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
        checks=checks(
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
        checks=checks(
            1047, 57, 90,
            d597=Check(597, access="refused"),
            d327=Check(327, {A.NO_TORTURE: Outcome.UNVERIFIABLE},
                       narrative="Visit in the presence of guards throughout."),
        ),
    ),
    # Two more returns from Italy, visited every two months: one shared with the network, one
    # counted in aggregates only.
    _italian_return("Zhou Esempio", 400, _NETWORK,
                    ("Bribery (fictional)", Category.ECONOMIC, "Ten years"),
                    d277=Check(277, access="refused")),
    _italian_return("Xu Fittizio", 300, {"distribution": Distribution.AGGREGATE_ONLY,
                                         "tlp": TLP.AMBER},
                    ("Tax evasion (fictional)", Category.ECONOMIC, "Seven years"),
                    d177=Check(177, {A.NO_TORTURE: Outcome.UNVERIFIABLE},
                               narrative="Visit cut short by the guards.")),
]
