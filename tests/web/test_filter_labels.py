"""Every filter of every list speaks in words: no label made by django-filter from a field's
name and a lookup ("Read at is null"), which a reader cannot understand."""

from __future__ import annotations

import copy
import re

import pytest

from cases.filters import StrictFilterSet

# django-filter's verbose lookups (`conf.VERBOSE_LOOKUPS`) at the end of a generated label.
GENERATED = re.compile(r" (is null|is in|contains|is greater than|is less than|"
                       r"is greater than or equal to|is less than or equal to|starts with|"
                       r"ends with|matches regex)$", re.IGNORECASE)


def filtersets(base=StrictFilterSet):
    """Every filter set of a list (mixins without a model are met through their subclasses)."""
    for sub in base.__subclasses__():
        if sub._meta.model is not None:
            yield sub
        yield from filtersets(sub)


@pytest.mark.parametrize("filterset", sorted(set(filtersets()), key=lambda f: f.__qualname__),
                         ids=lambda f: f.__qualname__)
def test_no_filter_label_is_generated_from_a_lookup(filterset):
    # The label each filter gives its form field (django-filter makes it from the model's field
    # and the lookup where none is given).
    labels = {}
    for name, base in filterset.base_filters.items():
        f = copy.deepcopy(base)
        f.model = filterset._meta.model  # as an instance of the filter set sets it
        labels[name] = str(f.label)
    assert not {name: label for name, label in labels.items() if GENERATED.search(label)}
