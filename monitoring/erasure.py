"""What erasing a subject's identifiers empties in monitoring: the free text of its checks,
findings, comments and follow-ups (sealed under the destroyed key, so unreadable in any copy),
and its evidence files, deleted from storage once the erasure is committed. Each file's hash,
size, type and dates stay, so the record still shows what was held and that it is gone."""

from __future__ import annotations

from django.db import transaction

from .models import CheckReport, Evidence, Finding, FindingComment, FollowUp

REPORT_TEXT = ("refusal_reason", "condition", "allegations", "legal_status", "family_contact",
               "trial_observations", "narrative")


def on_subject_erased(sender, subject, cases, at, **kwargs) -> None:
    FollowUp.objects.filter(case__in=cases).update(note="")
    CheckReport.objects.filter(case__in=cases).update(**dict.fromkeys(REPORT_TEXT, ""))
    Finding.objects.filter(case__in=cases).update(evidence_summary="")
    FindingComment.objects.filter(finding__case__in=cases).update(text="")
    files = Evidence.objects.filter(case__in=cases, erased_at__isnull=True)
    for evidence in files.only("file"):
        storage, name = evidence.file.storage, evidence.file.name
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
    files.update(erased_at=at, original_name="")
