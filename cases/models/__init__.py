from .audit import AuditChainHead, AuditEvent
from .cases import (
    Assurance,
    Case,
    CaseReferenceSequence,
    CaseTransition,
    Offence,
    ProceedingEvent,
)
from .keys import DataKey, SubjectNameDigest
from .organisations import (
    Invitation,
    Membership,
    Organisation,
    SharingGroup,
    SharingGroupMembership,
)
from .reference import Country, LegalInstrument
from .saved import SavedFilter
from .subjects import Subject, SubjectNationality

__all__ = [
    "Assurance",
    "AuditChainHead",
    "AuditEvent",
    "Case",
    "CaseReferenceSequence",
    "CaseTransition",
    "Country",
    "DataKey",
    "Invitation",
    "LegalInstrument",
    "Membership",
    "Offence",
    "Organisation",
    "ProceedingEvent",
    "SavedFilter",
    "SharingGroup",
    "SharingGroupMembership",
    "Subject",
    "SubjectNameDigest",
    "SubjectNationality",
]
