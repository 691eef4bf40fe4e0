"""How often a surrendered person is checked on: cadence profiles and their validation.

A cadence gives, for each custody phase, the window [earliest, latest] in days after the
previous check in which the next one falls; the first private visit is due within
`first_visit_hours` of surrender (day 0), and each hearing is attended, with a check within
`hearing_followup_days` after it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class CustodyPhase(models.TextChoices):
    INITIAL_CUSTODY = "initial_custody", gettext_lazy("Initial custody")
    PRE_TRIAL = "pre_trial_detention", gettext_lazy("Pre-trial detention")
    TRIAL = "trial", gettext_lazy("Trial")
    SENTENCE_FIRST_YEAR = "sentence_first_year", gettext_lazy("First year of sentence")
    SENTENCE = "sentence", gettext_lazy("Sentence, after the first year")
    RELEASED = "released", gettext_lazy("Released, under follow-up")


class Profile(models.TextChoices):
    STANDARD = "standard", gettext_lazy("Standard")
    INTENSIVE = "intensive", gettext_lazy("Intensive")
    CUSTOM = "custom", gettext_lazy("Custom")


P = CustodyPhase
STANDARD = {
    "first_visit_hours": 48,
    "hearing_followup_days": 7,
    "windows": {
        P.INITIAL_CUSTODY: [5, 7],
        P.PRE_TRIAL: [10, 15],
        P.TRIAL: [10, 15],
        P.SENTENCE_FIRST_YEAR: [15, 30],
        P.SENTENCE: [60, 90],
        P.RELEASED: [60, 90],
    },
}
INTENSIVE = {
    "first_visit_hours": 24,
    "hearing_followup_days": 3,
    "windows": {
        P.INITIAL_CUSTODY: [2, 3],
        P.PRE_TRIAL: [5, 7],
        P.TRIAL: [5, 7],
        P.SENTENCE_FIRST_YEAR: [10, 15],
        P.SENTENCE: [20, 30],
        P.RELEASED: [30, 45],
    },
}
PRESETS = {Profile.STANDARD: STANDARD, Profile.INTENSIVE: INTENSIVE}


def preset(profile: str) -> dict:
    return normalise(PRESETS.get(profile, STANDARD))


def normalise(cadence: dict) -> dict:
    """Plain JSON (string keys), so a stored cadence compares equal to a preset."""
    return {
        "first_visit_hours": int(cadence["first_visit_hours"]),
        "hearing_followup_days": int(cadence["hearing_followup_days"]),
        "windows": {str(phase): list(w) for phase, w in cadence["windows"].items()},
    }


def validate(cadence) -> dict:
    """A custom cadence, checked field by field; raises ValidationError({"cadence": …})."""
    errors = []
    if not isinstance(cadence, dict):
        raise ValidationError({"cadence": _("A cadence is an object.")})
    unknown = set(cadence) - {"first_visit_hours", "hearing_followup_days", "windows"}
    if unknown:
        errors.append(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    hours = cadence.get("first_visit_hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 30:
        errors.append(_("first_visit_hours is a whole number from 1 to 720."))
    days = cadence.get("hearing_followup_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        errors.append(_("hearing_followup_days is a whole number from 1 to 60."))
    windows = cadence.get("windows")
    if not isinstance(windows, dict) or set(windows) != set(CustodyPhase.values):
        errors.append(
            _("windows gives [earliest, latest] days for each phase: %(phases)s.")
            % {"phases": ", ".join(CustodyPhase.values)}
        )
    else:
        for phase, window in windows.items():
            ok = (
                isinstance(window, list)
                and len(window) == 2
                and all(isinstance(d, int) and not isinstance(d, bool) for d in window)
                and 1 <= window[0] <= window[1] <= 366
            )
            if not ok:
                errors.append(
                    _("windows.%(phase)s is [earliest, latest] with 1 ≤ earliest ≤ latest ≤ 366.")
                    % {"phase": phase}
                )
    if errors:
        raise ValidationError({"cadence": errors})
    return normalise(cadence)
