"""The French and German catalogues are complete and compiled: every string the project marks
is in them, translated, and served."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "de")
# What `make messages` passes to makemessages. (templates/rest_framework/ holds DRF's own
# templates made CSP-clean: DRF's catalogues translate their strings.)
IGNORE = [".venv", "bench", "staticfiles", "tests", "media", "docs", "templates/rest_framework"]


def _entries(po: Path):
    """(msgid, msgstr, flags, msgid_plural) of each entry of a .po file (plural forms as their
    first; msgid_plural empty for a plain entry)."""
    entry, field = {"flags": ""}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if "msgid" in entry:
                yield (entry["msgid"], entry.get("msgstr", ""), entry["flags"],
                       entry.get("plural", ""))
            entry, field = {"flags": ""}, None
        elif line.startswith("#,"):
            entry["flags"] = line
        elif line.startswith(("msgid ", "msgstr ", "msgstr[0] ", "msgid_plural ")):
            key, _, value = line.partition(" ")
            field = {"msgstr[0]": "msgstr", "msgid_plural": "plural"}.get(key, key)
            entry[field] = value.strip()[1:-1]
        elif line.startswith("msgstr["):
            field = None  # the other plural forms
        elif line.startswith('"') and field:
            entry[field] += line[1:-1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    entries = [(i, s, f) for i, s, f, _p in _entries(po) if i]
    assert len(entries) > 100
    untranslated = [i for i, s, _ in entries if not s]
    fuzzy = [i for i, _, f in entries if "fuzzy" in f]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_serves_the_translations(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    plain = [(i, s, p) for i, s, _f, p in _entries(po)
             if i and s and "%" not in i and "\\" not in i]
    with translation.override(language):
        # A plural entry is served by ngettext; its first form is the one for one.
        stale = [i for i, s, p in plain
                 if (translation.ngettext(i, p, 1) if p else translation.gettext(i)) != s]
    assert not stale, f"the .mo is older than the .po (run make messages): {stale[:5]}"


def test_the_catalogues_hold_every_marked_string(tmp_path, settings, monkeypatch):
    """makemessages over the project, into a copy of the catalogues, changes nothing.

    It runs in a mirror of the project (links to its folders, a copy of `locale/`): run in
    the project, makemessages writes into the project's own catalogues whatever LOCALE_PATHS
    says, leaving the tree changed."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext is not installed (make installs it)")
    mirror = tmp_path / "project"
    mirror.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("locale", ".git"):
            (mirror / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "locale", mirror / "locale")
    monkeypatch.chdir(mirror)
    settings.LOCALE_PATHS = [mirror / "locale"]
    call_command("makemessages", locale=list(LANGUAGES), no_location=True, no_obsolete=True,
                 ignore_patterns=IGNORE, symlinks=True, verbosity=0)
    for language in LANGUAGES:
        made = (mirror / "locale" / language / "LC_MESSAGES" / "django.po").read_text(
            encoding="utf-8")
        kept = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text(
            encoding="utf-8")
        assert made == kept, f"{language}: strings marked since the catalogue was made " \
                             "(run make messages and translate them)"


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "1,234,567"), ("fr", "1\xa0234\xa0567"), ("de", "1.234.567")])
def test_counts_are_shown_with_the_languages_thousands_separator(language, shown):
    from django.template import Context, Template

    template = Template("{% load em %}{{ n|grouped }}|{{ small|grouped }}|{{ flag|grouped }}")
    with translation.override(language):
        rendered = template.render(Context({"n": 1234567, "small": "<3", "flag": True}))
    # A suppressed cell and anything else but a count are left alone.
    assert rendered == f"{shown}|&lt;3|True"
