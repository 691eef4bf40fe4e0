"""English as written in Europe (day before month), from Django's en_GB formats."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
