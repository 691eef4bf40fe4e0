from django.db import models
from django.utils.translation import gettext_lazy as _


class Distribution(models.TextChoices):
    ORGANISATION = "organisation", _("Owning organisation only")
    SHARING_GROUP = "sharing_group", _("Sharing group")
    NETWORK = "network", _("Every organisation on the platform")
    AGGREGATE_ONLY = "aggregate_only", _("Owner only; counts in aggregates")


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 labels."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber_strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


# How far a label lets a record travel: the distributions each label allows.
TLP_CEILING: dict[str, tuple[str, ...]] = {
    TLP.CLEAR: tuple(Distribution.values),
    TLP.GREEN: tuple(Distribution.values),
    TLP.AMBER: (Distribution.ORGANISATION, Distribution.SHARING_GROUP, Distribution.AGGREGATE_ONLY),
    TLP.AMBER_STRICT: (Distribution.ORGANISATION, Distribution.AGGREGATE_ONLY),
    TLP.RED: (Distribution.ORGANISATION,),
}


def labels_allowing(distribution: str) -> tuple[str, ...]:
    """The labels under which a record may have `distribution`: the ceiling read backwards."""
    return tuple(label for label, allowed in TLP_CEILING.items() if distribution in allowed)


# The distributions that reach organisations other than the owner.
SHARED = (Distribution.SHARING_GROUP, Distribution.NETWORK)

# The labels under which a recipient may pass a record on: those that let it travel
# network-wide (TLP 2.0's CLEAR and GREEN). AMBER and stricter stay with the recipient.
PASSED_ON_UNDER = labels_allowing(Distribution.NETWORK)

# How far each label lets recipients pass a record on, most restrictive first.
TLP_OPENNESS = {TLP.RED: 0, TLP.AMBER_STRICT: 1, TLP.AMBER: 2, TLP.GREEN: 3, TLP.CLEAR: 4}

# Order of openness, for "never wider than": a record shared more widely than another.
DISTRIBUTION_WIDTH = {
    Distribution.ORGANISATION: 0,
    Distribution.AGGREGATE_ONLY: 0,
    Distribution.SHARING_GROUP: 1,
    Distribution.NETWORK: 2,
}


def opens_further(before: dict, after: dict) -> bool:
    """Whether a change of {distribution, sharing_group, tlp} lets a record reach further.

    Narrowing (network to a group, a stricter label) is a withdrawal; moving to another group,
    or a label that lets the record travel further, is a share.
    """
    width = DISTRIBUTION_WIDTH[after["distribution"]]
    was = DISTRIBUTION_WIDTH[before["distribution"]]
    return width > was or (
        width == was
        and (
            after["sharing_group"] != before["sharing_group"]
            or TLP_OPENNESS[after["tlp"]] > TLP_OPENNESS[before["tlp"]]
        )
    )


def sharing_group_iff_distribution(name: str) -> models.CheckConstraint:
    """A record names a sharing group exactly when it is distributed to one."""
    return models.CheckConstraint(
        condition=(
            models.Q(distribution=Distribution.SHARING_GROUP, sharing_group__isnull=False)
            | (
                ~models.Q(distribution=Distribution.SHARING_GROUP)
                & models.Q(sharing_group__isnull=True)
            )
        ),
        name=name,
    )
