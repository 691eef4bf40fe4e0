"""English as written in Europe (day before month), from Django's en_GB formats."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

# Times on the 24-hour clock, as European readers and the French and German pages write them
# (en_GB's "P" gives "9 a.m.", which ends a sentence badly).
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
