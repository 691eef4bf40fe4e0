"""Reference data: countries (ISO 3166-1, with EU, EEA and Council of Europe membership) and
legal instruments between states and China, each fact with its source.

Country names come from pycountry (the ISO 3166 database). Memberships are as of 2026-11-01:
EU 27 member states (since the United Kingdom left on 2020-01-31); EEA = the EU plus Iceland,
Liechtenstein and Norway; Council of Europe 46 member states (since Russia's exclusion on
2022-03-16). Legal instruments are copied from the project's reference table
(legal_instruments.csv, gathered from public reports; a blank is unknown, and a date of only a
year or a month is as precise as its source).
"""

import datetime

from django.db import migrations

EU = set(["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"])
EEA = EU | {"IS", "LI", "NO"}
COE = set(
    ["AL", "AD", "AM", "AT", "AZ", "BE", "BA", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "GE", "DE", "GR", "HU", "IS", "IE", "IT", "LV", "LI", "LT", "LU", "MT", "MD", "MC", "ME", "NL", "MK", "NO", "PL", "PT", "RO", "SM", "RS", "SK", "SI", "ES", "SE", "CH", "TR", "UA", "GB"]
)
MEMBERSHIPS_AS_OF = datetime.date(2026, 11, 1)
MEMBERSHIPS_SOURCE = (
    "European Union: 27 member states (europa.eu); EEA Agreement: EU + IS, LI, NO (efta.int); "
    "Council of Europe: 46 member states (coe.int)"
)
RECORDED_ON = datetime.date(2026, 11, 23)

INSTRUMENTS = [{'party_a': 'FR',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between France and China',
  'signed_on': '2007-03-20',
  'ratified_a_on': '2015-04',
  'ratified_b_on': '2008-04-24',
  'in_force_on': '2015-07-17',
  'status': 'in_force',
  'nationality_exception': True,
  'death_penalty_clause': True,
  'notes': 'First surrender under it in September 2016; French nationals excluded, nationals of '
           'other EU states are not',
  'source': 'MERICS China Monitor 18 Jan 2017; UN Treaty Series registration 53645'},
 {'party_a': 'ES',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Spain and China',
  'signed_on': '2005',
  'ratified_a_on': '',
  'ratified_b_on': '2006-04-29',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'February 2017: Spain agreed to extradite over 200 alleged fraudsters',
  'source': 'MERICS security diplomacy tracker 2017; Law Library of Congress'},
 {'party_a': 'IT',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Italy and China',
  'signed_on': '2010-10-07',
  'ratified_a_on': '2015',
  'ratified_b_on': '',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'Ratification authorised by Italian Law 161/2015',
  'source': 'MERICS China Monitor 18 Jan 2017; Processo penale e giustizia 1/2016'},
 {'party_a': 'IT',
  'party_b': 'CN',
  'kind': 'mla_treaty',
  'title': 'Mutual legal assistance treaty between Italy and China',
  'signed_on': '2010-10-07',
  'ratified_a_on': '2015',
  'ratified_b_on': '',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'Ratification authorised by Italian Law 64/2015',
  'source': 'Processo penale e giustizia 1/2016'},
 {'party_a': 'AU',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Australia and China',
  'signed_on': '2007',
  'ratified_a_on': '',
  'ratified_b_on': '2008',
  'in_force_on': '',
  'status': 'not_ratified',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': "Australian Parliament shelved ratification in 2017 over detainees' rights",
  'source': 'MERICS China Monitor 18 Jan 2017; MERICS security diplomacy tracker 2017'},
 {'party_a': 'AE',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between the UAE and China',
  'signed_on': '2004',
  'ratified_a_on': '',
  'ratified_b_on': '',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'First extradition under it in March 2017',
  'source': 'MERICS security diplomacy tracker 2017'},
 {'party_a': 'BG',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Bulgaria and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'A surrender to China under it was reported in November 2018',
  'source': 'Asia Financial 2020'},
 {'party_a': 'BE',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Belgium and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '2020-10',
  'in_force_on': '',
  'status': 'ratified_by_one_party',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'China ratified October 2020',
  'source': 'Asia Financial 2020'},
 {'party_a': 'CY',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Cyprus and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '2020-10',
  'in_force_on': '',
  'status': 'ratified_by_one_party',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'China ratified October 2020',
  'source': 'Asia Financial 2020'},
 {'party_a': 'AR',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Argentina and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '2017-06-27',
  'in_force_on': '',
  'status': 'ratified_by_one_party',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': "Ratified by China's National People's Congress 27 June 2017",
  'source': 'MERICS security diplomacy tracker 2017'},
 {'party_a': 'ET',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Ethiopia and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '2017-06-27',
  'in_force_on': '',
  'status': 'ratified_by_one_party',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': "Ratified by China's National People's Congress 27 June 2017",
  'source': 'MERICS security diplomacy tracker 2017'},
 {'party_a': 'AF',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Afghanistan and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '',
  'in_force_on': '2014-12',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'Afghanistan handed over Uyghur suspects in January 2015',
  'source': "The Diplomat, China's Counterterrorism Campaign Goes Global"},
 {'party_a': 'IR',
  'party_b': 'CN',
  'kind': 'extradition_treaty',
  'title': 'Extradition treaty between Iran and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '',
  'in_force_on': '2014-12',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': '',
  'source': "The Diplomat, China's Counterterrorism Campaign Goes Global"},
 {'party_a': 'GB',
  'party_b': 'CN',
  'kind': 'mla_treaty',
  'title': 'Mutual legal assistance treaty between the UK and China',
  'signed_on': '',
  'ratified_a_on': '',
  'ratified_b_on': '',
  'in_force_on': '',
  'status': 'in_force',
  'nationality_exception': None,
  'death_penalty_clause': None,
  'notes': 'An opaque repatriation from the UK took place in 2016 regardless',
  'source': 'MERICS China Monitor 18 Jan 2017'}]


def load(apps, schema_editor):
    import pycountry

    Country = apps.get_model("cases", "Country")
    LegalInstrument = apps.get_model("cases", "LegalInstrument")
    assert len(EU) == 27 and len(EEA) == 30 and len(COE) == 46
    Country.objects.bulk_create(
        [
            Country(
                code=c.alpha_2,
                name=getattr(c, "common_name", None) or c.name,
                eu_member=c.alpha_2 in EU,
                eea_member=c.alpha_2 in EEA,
                coe_member=c.alpha_2 in COE,
                memberships_as_of=MEMBERSHIPS_AS_OF,
                memberships_source=MEMBERSHIPS_SOURCE,
            )
            for c in pycountry.countries
        ]
    )
    LegalInstrument.objects.bulk_create(
        [
            LegalInstrument(
                party_a_id=row["party_a"],
                party_b_id=row["party_b"],
                recorded_on=RECORDED_ON,
                **{k: v for k, v in row.items() if k not in ("party_a", "party_b")},
            )
            for row in INSTRUMENTS
        ]
    )


def unload(apps, schema_editor):
    apps.get_model("cases", "LegalInstrument").objects.all().delete()
    apps.get_model("cases", "Country").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
