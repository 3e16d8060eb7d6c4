"""Real-world sig strings and the daily dose they state.

Each expected value is worked out by hand from what the sig means (dose per administration x
administrations a day; a regimen in parts summed; a stated daily maximum caps the schedule; a
prn with a schedule counted at the schedule), never from the parser's output. "unknown" is
expected where the text does not give a daily dose: a count of tablets without a strength,
no frequency, prn with neither schedule nor maximum, an ambiguous number, a dose per kg
without a weight.

The source column names where the wording comes from (see SOURCES); "ward" marks shorthand
as it is written on wards and in the issue that prompted this table (pharmcheck #15), with no
published source.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pharmcheck.inputs.sig import parse_frequency, parse_sig, weighed

SOURCES = {  # key: (what, where)
    "neurontin-mims": (
        "MIMS Thailand, Neurontin dosage",
        "https://www.mims.com/thailand/drug/info/neurontin/dosage",
    ),
    "gabapentin-dailymed": (
        "gabapentin capsules label text (DailyMed)",
        "https://druggenius.com/dosage/gabapentin/",
    ),
    "gabapentin-once-daily": (
        "gabapentin once-daily tablets prescribing information",
        "https://prescriberpoint.com/therapies/gabapentin-d592d82",
    ),
    "morphine-solution-uk": (
        "Medscape UK, morphine sulfate oral solution",
        "https://www.medscape.co.uk/drug/morphine-sulfate-oral-solution-2928-2928",
    ),
    "oramorph": (
        "Oramorph 10 mg/5 ml posology (SmPC wording)",
        "https://searchandrestore.com/can-you-take-oramorph-every-two-hours/",
    ),
    "oramorph-2mg-ml": (
        "Oramorph syrup 2 mg/ml, Singapore product information",
        (
            "https://www.test-moh-ndf-staging.isomer.gov.sg/automated/"
            "list-of-product-information/SIN16036P"
        ),
    ),
    "paracetamol-nhs": (
        "NHS, how and when to take paracetamol for adults",
        (
            "https://www.nhs.uk/medicines/paracetamol-for-adults/"
            "how-and-when-to-take-paracetamol-for-adults/"
        ),
    ),
    "paracetamol-pil": (
        "paracetamol 500 mg tablets directions",
        "https://www.onlineukchemists.co.uk/product-page/paracetamol",
    ),
    "paracetamol-nhs-zana": (
        "NHS content on paracetamol",
        "https://zana.com/a/paracetamol-paracetamol.5450",
    ),
    "paracetamol-children": (
        "paracetamol for children: FDA age-based labelling, mg/kg",
        "https://www.droracle.ai/articles/804809/ and /articles/454755/",
    ),
    "tramadol-dailymed": (
        "tramadol tablets label text (DailyMed)",
        "https://druggenius.com/dosage/tramadol/",
    ),
    "tramadol-drugs-com": (
        "Drugs.com, tramadol dosage",
        "https://www.drugs.com/dosage/tramadol.html",
    ),
    "tramadol-tablets": ("tramadol dosage", "http://sideeffectz.com/tramadoldosage/"),
    "levetiracetam-paed": (
        "levetiracetam paediatric dosing (label)",
        "https://www.droracle.ai/articles/779140/ and /articles/875041/",
    ),
    "valproate-paed": ("valproate paediatric dosing", "https://www.droracle.ai/articles/423351/"),
    "amoxicillin-250": (
        "amoxicillin 250 mg/5 mL paediatric dosing",
        "https://www.droracle.ai/articles/710749/",
    ),
    "amoxicillin-400": (
        "amoxicillin 400 mg/5 mL high-dose regimen",
        "https://www.droracle.ai/articles/868148/",
    ),
    "amoxicillin-parent": (
        "amoxicillin suspension instructions",
        "https://winenfood.com/a-guide-to-typical-amoxicillin-dosage-information",
    ),
    "salbutamol-msf": (
        "MSF essential drugs, salbutamol metered dose inhaler",
        "https://medicalguidelines.msf.org/ (salbutamol MDI)",
    ),
    "salbutamol-teva": (
        "salbutamol aerosol 100 mcg/dose directions",
        "https://irknotary.ru/en/o-zdorove/salbutamol-teva.html",
    ),
    "salbutamol-nhs": (
        "salbutamol inhaler usual dose",
        "https://petfriendlymeds.com/product/ventolin-hfa-salbutamol/",
    ),
    "metformin-sig": (
        "example prescription: Metformin 500 mg tablets, Sig: Take two tablets PO BID",
        "http://www.medpedia.com/questions/2484-how-to-write-prescriptions",
    ),
    "abbreviations": (
        "sig abbreviation tables (fid, qAM, qPM, hs, qhs, qod, q#h)",
        (
            "https://rx-pharmacy.blogspot.com/2011/ and "
            "https://ritabay.wordpress.com/2011/04/08/a-doctor%E2%80%99s-prescription/"
        ),
    ),
    "sig-codes": (
        "EnterpriseRx sig code reference guide",
        "https://studylib.net/doc/8290558/enterpriserx---sig-code-reference-guide",
    ),
    "snomed-frequencies": (
        "SNOMED CT dose frequencies (Five times daily, Every four hours)",
        (
            "https://build.fhir.org/ig/HL7NZ/cca/"
            "ValueSet-sact-dose-administration-frequency.json.html"
        ),
    ),
    "ward": ("ward shorthand", "no published source"),
}

UNKNOWN = None
MCG_H = "mcg/h"
UNITS = "units"
MMOL = "mmol"

# text, expected daily dose (mg unless a unit is given; UNKNOWN), source
TABLE: list[tuple[str, float | tuple[float, str] | None, str]] = [
    # gabapentin: "300 mg three times a day", "up to 3,600 mg/day", "1,800 mg once daily with the
    # evening meal"
    ("gabapentin 300 mg three times a day", 900, "neurontin-mims"),
    ("gabapentin 300 mg two times a day", 600, "gabapentin-dailymed"),
    ("gabapentin 600 mg three times a day", 1800, "gabapentin-dailymed"),
    ("gabapentin 1,200 mg three times a day", 3600, "neurontin-mims"),
    ("gabapentin 1,200 mg tid", 3600, "ward"),
    ("gabapentin 1,800 mg once daily with the evening meal", 1800, "gabapentin-once-daily"),
    ("gabapentin 1,500 mg once daily", 1500, "gabapentin-once-daily"),
    ("gabapentin 300 mg capsules: take 2 capsules (600 mg) at bedtime", 600, "ward"),
    ("gabapentin: take 2 capsules (600 mg) at bedtime", 600, "ward"),
    ("gabapentin 300 mg single dose", 300, "gabapentin-dailymed"),
    ("gabapentin 300 mg at bedtime", 300, "ward"),
    ("gabapentin 400 mg capsules three times a day", 1200, "gabapentin-dailymed"),
    ("gabapentin 800 mg tds", 2400, "gabapentin-dailymed"),
    ("gabapentin 300-600 mg three times a day", 1800, "gabapentin-dailymed"),
    ("gabapentin 300mg bd + 600mg nocte", 1200, "ward"),
    ("gabapentin 300 mg mane, 300 mg midday, 600 mg nocte", 1200, "ward"),
    ("gabapentin 100 mg t.i.d.", 300, "ward"),
    ("gabapentin 1,5 g bd", 3000, "ward"),  # a decimal comma: 1.5 g
    ("gabapentin 0,3 g tds", 900, "ward"),
    ("gabapentin 1.200 mg tid", UNKNOWN, "ward"),  # 1.2 mg, or 1200 written with a thousands point?
    ("gabapentin 1 200 mg tid", UNKNOWN, "ward"),  # 1200, or 1 x 200 mg?
    ("gabapentin 1,2000 mg tid", UNKNOWN, "ward"),
    ("gabapentin 300 mg", UNKNOWN, "ward"),
    # morphine oral solution: "10mg to 20 mg every 4 hours", "10-20 mg (5-10 ml) every 4 hours"
    ("Oramorph 10 mg/5 mL 5 mL every 4 hours", 60, "oramorph"),
    ("Oramorph 10 mg/5 mL 10 mL every 4 hours", 120, "oramorph"),
    ("Oramorph 10 mg/5 mL 5-10 mL every 4 hours", 120, "oramorph"),
    ("Oramorph 10 mg/5 ml 10-20 mg (5-10 ml) every 4 hours", 120, "oramorph"),
    ("morphine 10 mg/5 mL 10 mL q4h", 120, "ward"),
    ("morphine oral solution 10 mL (10 mg/5 mL) q4h", 120, "ward"),
    ("10 mL Oramorph 10 mg/5 mL every 4 to 6 hours", 120, "ward"),
    ("Oramorph 2 mg/ml 15 ml every 4-6 hours", 180, "oramorph-2mg-ml"),
    ("Oramorph 2 mg/ml 5-15 ml q4-6h", 180, "oramorph-2mg-ml"),
    ("morphine 10 mg to 20 mg every 4 hours", 120, "morphine-solution-uk"),
    ("morphine 5 mg to 10 mg every four hours", 60, "morphine-solution-uk"),
    ("morphine 5 mg every 4 hours", 30, "morphine-solution-uk"),
    ("morphine 10mg PO q4h prn max 60 mg/day", 60, "ward"),
    ("morphine 10 mg q4h prn", 60, "ward"),
    ("morphine 5-10 mg q4-6h", 60, "ward"),
    ("morphine 10 mg q.4.h.", 60, "ward"),
    ("morphine 10 mg/5 mL oral solution 2.5 mL q4h", 30, "ward"),
    ("Oramorph 10 mg/5 mL q4h prn", UNKNOWN, "ward"),  # no volume: no dose
    ("Oramorph 10 mg/5 mL 2.5-5 mL prn", UNKNOWN, "ward"),
    # paracetamol: "two, 500mg tablets, 4 times in 24 hours ... not more than 8 tablets in 24 hours"
    ("paracetamol 500 mg tablets, two tablets 4 times in 24 hours", 4000, "paracetamol-nhs"),
    ("paracetamol 500 mg 2 tablets qds", 4000, "paracetamol-nhs"),
    (
        "paracetamol 500 mg 1-2 tablets every 4-6 hours, maximum of 8 tablets in 24 hours",
        4000,
        "paracetamol-pil",
    ),
    (
        "paracetamol 500 mg ½-1 tablet every 4-6 hours, maximum of 4 tablets in 24 hours",
        2000,
        "paracetamol-pil",
    ),
    (
        "paracetamol 500 mg 1 or 2 tablets every 4 to 6 hours, no more than 8 tablets in 24 hours",
        4000,
        "paracetamol-nhs-zana",
    ),
    (
        "paracetamol 500 mg 1-2 tablets every 4 to 6 hours as needed, max 8 tablets a day",
        4000,
        "ward",
    ),
    ("paracetamol 500 mg 1-2 tablets prn, max 8 tablets a day", 4000, "ward"),
    ("paracetamol 1 g qds", 4000, "ward"),
    ("paracetamol 1g q.i.d. prn", 4000, "ward"),
    ("paracetamol 500mg 2 tabs q.d.s.", 4000, "ward"),
    ("paracetamol 500 mg 1 tab tds", 1500, "ward"),
    ("paracetamol 500 mg 2 qds", 4000, "ward"),  # a bare number after a dose is a count of it
    ("paracetamol 120 mg in 5 ml 10 ml qds", 960, "paracetamol-nhs"),
    ("paracetamol 250 mg/5 mL 10 mL four times a day", 2000, "paracetamol-nhs"),
    ("paracetamol 5 mL (160 mg) every 4 hours", 960, "paracetamol-children"),
    (
        "paracetamol 7.5 mL (240 mg) every 4 hours, not to exceed 5 doses in 24 hours",
        1200,
        "paracetamol-children",
    ),
    (
        "paracetamol 20.3 mL (650 mg) every 4-6 hours, not to exceed 6 doses in 24 hours",
        3900,
        "paracetamol-children",
    ),
    (
        "paracetamol 325 mg every 4 hours, not to exceed 5 doses in 24 hours",
        1625,
        "paracetamol-children",
    ),
    ("paracetamol 160 mg every 4 hours (max 5 doses/24 hours)", 800, "paracetamol-children"),
    ("paracetamol 1 g max 4 g/day", 4000, "ward"),
    # tramadol: "25 mg four times a day", "50 mg to 100 mg every 4 to 6 hours not to exceed 400
    # mg/day"
    ("tramadol 25 mg four times a day", 100, "tramadol-dailymed"),
    ("tramadol 50 mg four times a day", 200, "tramadol-dailymed"),
    (
        "tramadol 50 mg to 100 mg every 4 to 6 hours not to exceed 400 mg/day",
        400,
        "tramadol-dailymed",
    ),
    ("tramadol 50 to 100 mg orally every 4 to 6 hours as needed", 600, "tramadol-drugs-com"),
    ("tramadol 100 mg orally once a day", 100, "tramadol-drugs-com"),
    ("tramadol 1-2 50 mg tablets up to four times daily", 400, "tramadol-tablets"),
    ("tramadol 1-2 tabs qid", UNKNOWN, "ward"),
    ("tramadol 50mg 2 tabs qid", 400, "ward"),
    ("tramadol 50 mg qid prn", 200, "ward"),
    ("tramadol 50 mg every 6 hours", 200, "ward"),
    ("tramadol 2 x 50 mg tds", 300, "ward"),
    ("tramadol 50 mg x 2 qds", 400, "ward"),
    ("tramadol 50 mg 1 tab mane 2 tabs nocte", 150, "ward"),
    ("tramadol 2 tabs", UNKNOWN, "ward"),
    ("tramadol", UNKNOWN, "ward"),
    # levetiracetam: "500 mg BID", "750 mg BID", "1000 mg BID (two 500 mg tablets BID)"
    ("levetiracetam 500 mg BID", 1000, "levetiracetam-paed"),
    ("levetiracetam 750 mg BID", 1500, "levetiracetam-paed"),
    ("levetiracetam two 500 mg tablets BID", 2000, "levetiracetam-paed"),
    ("levetiracetam 1000 mg/day (500 mg BID)", 1000, "levetiracetam-paed"),
    ("levetiracetam 3000 mg/day", 3000, "levetiracetam-paed"),
    ("Keppra 500 mg b.i.d.", 1000, "ward"),
    ("levetiracetam 1g BD", 2000, "ward"),
    # amoxicillin: "450 mg per dose (9 mL of 250mg/5mL suspension) twice daily"
    ("amoxicillin 250 mg/5 mL 9 mL twice daily", 900, "amoxicillin-250"),
    ("amoxicillin 250mg/5mL 18 mL twice daily", 1800, "amoxicillin-250"),
    ("amoxicillin 400 mg/5 mL 13 mL twice daily", 2080, "amoxicillin-400"),
    ("amoxicillin 5 mL of 400 mg/5 mL suspension twice daily", 800, "amoxicillin-parent"),
    ("amoxicillin 250 mg/5 mL 5 mL (250 mg) every 8 hours", 750, "ward"),
    ("amoxicillin 500 mg every 8 hours", 1500, "ward"),
    ("amoxicillin 500 mg tds x 7 days", 1500, "ward"),
    (
        "amoxicillin 250 mg/5 mL 1 tspful three times a day",
        UNKNOWN,
        "sig-codes",
    ),  # teaspoons are not read
    # inhalers: "1 or 2 puffs up to 4 times a day", "2 to 4 puffs (200 to 400 micrograms)", 100
    # micrograms/puff
    ("salbutamol 100 micrograms 2 puffs up to 4 times a day", 0.8, "salbutamol-nhs"),
    ("salbutamol 100 mcg/dose 1-2 inhalations 1-4 times a day", 0.8, "salbutamol-teva"),
    ("salbutamol 2 to 4 puffs (200 to 400 micrograms) every 4 to 6 hours", 2.4, "salbutamol-msf"),
    ("Ventolin 100 mcg 2 puffs qid prn", 0.8, "ward"),
    ("salbutamol 1 puff bid", UNKNOWN, "ward"),
    ("salbutamol 2 puffs every 4-6 hours as needed", UNKNOWN, "ward"),
    ("salbutamol 1-2 puffs up to 4 times a day", UNKNOWN, "salbutamol-nhs"),
    # tablets and abbreviations
    ("metformin 500 mg tablets, take two tablets PO BID", 2000, "metformin-sig"),
    ("metformin 500 mg 1 tab bd", 1000, "ward"),
    ("metformin 1 g b.d.", 2000, "ward"),
    ("baclofen 10 mg tablet: take 1 tablet by mouth three times daily", 30, "ward"),
    ("amlodipine 5 mg 1 tab od", 5, "ward"),
    ("amlodipine 1 tab tds", UNKNOWN, "ward"),
    ("sertraline 50 mg qd", 50, "abbreviations"),
    ("sertraline 100 mg q.d.", 100, "abbreviations"),
    ("sertraline 100 mg as directed", UNKNOWN, "ward"),
    ("sertraline", UNKNOWN, "ward"),
    ("amitriptyline 25 mg qhs", 25, "abbreviations"),
    ("amitriptyline 10 mg q.h.s.", 10, "abbreviations"),
    ("amitriptyline 10-20 mg at night", 20, "ward"),
    ("zopiclone 7.5 mg hs", 7.5, "abbreviations"),
    ("citalopram 20 mg qAM", 20, "abbreviations"),
    ("quetiapine 25 mg qPM", 25, "abbreviations"),
    ("prednisolone 10 mg qod", 5, "abbreviations"),
    ("warfarin 5 mg every other day", 2.5, "abbreviations"),
    ("aciclovir 800 mg fid", 4000, "abbreviations"),
    ("aciclovir 800 mg five times daily", 4000, "snomed-frequencies"),
    ("aciclovir 400 mg 5 times a day", 2000, "snomed-frequencies"),
    ("ondansetron 8 mg every four hours", 48, "snomed-frequencies"),
    ("ondansetron 8 mg q8h", 24, "abbreviations"),
    ("ondansetron 4 mg q.8.h.", 12, "ward"),
    ("metoclopramide 10 mg t.i.d.", 30, "ward"),
    ("metoclopramide 10 mg tds", 30, "ward"),
    ("haloperidol 5 mg b.d.", 10, "ward"),
    ("haloperidol 0.5 mg q 12 h", 1, "ward"),
    ("haloperidol 1,5 mg nocte", 1.5, "ward"),
    ("ceftriaxone 2 g q24h", 2000, "ward"),
    ("cefepime 2 g q8h", 6000, "ward"),
    ("cefepime 2 g q12", 4000, "ward"),
    ("meropenem 1 g every eight hours", 3000, "ward"),
    ("oxycodone 5 mg 4-6 hourly prn", 30, "ward"),
    ("oxycodone 5 mg four hourly", 30, "ward"),
    ("oxycodone 5 mg prn", UNKNOWN, "ward"),
    ("codeine 30 mg q.i.d.", 120, "ward"),
    ("codeine 30-60 mg every 4 hours, max 240 mg/day", 240, "ward"),
    ("pethidine 75 mg IM q3h", 600, "ward"),
    ("Demerol 75 IM q3h", 600, "ward"),
    ("diazepam 5 mg t.d.s.", 15, "ward"),
    ("clonazepam 500 micrograms nocte", 0.5, "ward"),
    ("clonazepam 0,5 mg bd", 1, "ward"),
    ("lithium carbonate 400 mg nocte", 400, "ward"),
    ("lithium 200 mg mane 400 mg nocte", 600, "ward"),
    ("quetiapine 100 mg mane 200 mg nocte", 300, "ward"),
    ("olanzapine 5 mg mane and 10 mg nocte", 15, "ward"),
    ("carbamazepine 200 mg in the morning and 400 mg at night", 600, "ward"),
    ("lamotrigine 25 mg om, 50 mg on", 75, "ward"),
    ("valproate 500 mg mane and nocte", 1000, "ward"),
    ("valproate 500 mg on and om", 1000, "ward"),  # "on" (at night) before "and": both times
    ("lamotrigine 25 mg om, 50 mg on prn", 75, "ward"),  # "on prn": at night, as needed
    ("phenytoin 300 mg o.d.", 300, "ward"),
    ("prednisolone 40 mg o.m.", 40, "ward"),
    ("prednisolone 30 mg od for 5 days", 30, "ward"),
    ("pregabalin 75 mg b.i.d.", 150, "ward"),
    ("pregabalin 300 mg twice a day", 600, "ward"),
    ("Neurontin 600 tid", 1800, "ward"),
    ("Lexapro 10", UNKNOWN, "ward"),
    (
        "naproxen 250 mg 2 tabs stat then 1 tab q6-8h",
        1500,
        "ward",
    ),  # the first day: 500 mg + 4 x 250 mg
    ("ibuprofen 400 mg 1 tab tds with food", 1200, "ward"),
    ("ibuprofen 200 mg 1-2 tablets every 4 hours, max 6 tablets in 24 hours", 1200, "ward"),
    ("levothyroxine 0.125 mg daily", 0.125, "ward"),
    ("levothyroxine 125 mcg daily", 0.125, "ward"),
    ("digoxin 62.5 micrograms od", 0.0625, "ward"),
    ("alendronate 70 mg once weekly", 10, "ward"),
    ("methotrexate 15 mg weekly", 15 / 7, "ward"),
    ("co-codamol 30/500 2 tabs qds", UNKNOWN, "ward"),  # per ingredient: not attributable
    # other units
    ("fentanyl 25 mcg/h patch", (25, MCG_H), "ward"),
    ("fentanyl 12 micrograms/hour patch every 72 hours", (12, MCG_H), "ward"),
    ("insulin glargine 20 units nocte", (20, UNITS), "ward"),
    ("heparin 5,000 units sc bd", (10000, UNITS), "ward"),
    ("heparin 5000 units q12h", (10000, UNITS), "ward"),
    ("epoetin 3,000 units three times weekly", (3000 * 3 / 7, UNITS), "ward"),
    ("potassium chloride 20 mmol bd", (40, MMOL), "ward"),
    ("enoxaparin 40 mg sc daily", 40, "ward"),
]

# text, weight (kg; None: not known), expected daily dose in mg, source
PER_KG: list[tuple[str, float | None, float | None, str]] = [
    ("levetiracetam 10 mg/kg BID", 30, 600, "levetiracetam-paed"),
    ("levetiracetam 30 mg/kg BID", 30, 1800, "levetiracetam-paed"),
    ("levetiracetam 20 mg/kg/day in 2 divided doses", 30, 600, "levetiracetam-paed"),
    ("levetiracetam 60 mg/kg/day", 40, 2400, "levetiracetam-paed"),
    ("levetiracetam 15 mg/kg IV every 12 hours", 20, 600, "levetiracetam-paed"),
    ("levetiracetam 40 mg/kg IV stat", 25, 1000, "levetiracetam-paed"),
    ("levetiracetam 40 mg/kg IV", 25, UNKNOWN, "levetiracetam-paed"),  # no frequency given
    ("levetiracetam 10 mg/kg BID", None, UNKNOWN, "levetiracetam-paed"),
    ("valproate 20 mg/kg/day", 25, 500, "ward"),
    ("valproate 20 mg/kg/day", None, UNKNOWN, "ward"),
    ("valproate 20-30 mg/kg/day divided into 2-3 doses", 20, 600, "valproate-paed"),
    ("amoxicillin 45 mg/kg/day divided every 12 hours", 20, 900, "amoxicillin-250"),
    ("amoxicillin 90 mg/kg/day divided into two doses", 23.5, 2115, "amoxicillin-400"),
    ("gabapentin 10-15 mg/kg/day given in three divided doses", 20, 300, "neurontin-mims"),
    (
        "gabapentin 40 mg/kg/day given in equally divided doses three times a day",
        15,
        600,
        "gabapentin-dailymed",
    ),
    ("paracetamol 15 mg/kg every 4-6 hours, max 60 mg/kg/day", 20, 1200, "paracetamol-children"),
    ("paracetamol 10-15 mg/kg per dose every 4-6 hours", 10, 900, "paracetamol-children"),
    ("ketamine 0.5 mg/kg IV stat", 70, 35, "ward"),
    ("midazolam 0.1 mg/kg IV", 70, UNKNOWN, "ward"),
    ("morphine 0.1 mg/kg q4h", None, UNKNOWN, "ward"),
    ("phenobarbital 5 mg/kg/day", 10, 50, "ward"),
]


def daily_of(text: str, weight_kg: float | None = None) -> tuple[float, str] | None:
    sig = parse_sig(text)
    total, note = weighed(sig.daily, sig.daily_note, weight_kg)
    if total is None:
        assert note, f"{text!r}: an unknown daily dose must say why"
        return None
    return round(total.value, 4), total.unit


def test_the_table_is_large_and_cites_its_sources() -> None:
    assert len(TABLE) + len(PER_KG) >= 150
    assert {source for *_, source in TABLE + PER_KG} <= set(SOURCES)  # type: ignore[operator]
    published = [row for row in TABLE + PER_KG if row[-1] != "ward"]  # type: ignore[operator]
    assert len(published) >= 60


@pytest.mark.parametrize(("text", "expected", "source"), TABLE)
def test_daily_dose_of_a_real_sig(
    text: str, expected: float | tuple[float, str] | None, source: str
) -> None:
    if expected is None:
        assert daily_of(text) is None
    else:
        value, unit = expected if isinstance(expected, tuple) else (expected, "mg")
        assert daily_of(text) == (round(value, 4), unit)


@pytest.mark.parametrize(("text", "weight", "expected", "source"), PER_KG)
def test_daily_dose_per_kg(
    text: str, weight: float | None, expected: float | None, source: str
) -> None:
    assert daily_of(text, weight) == (None if expected is None else (round(expected, 4), "mg"))


def test_a_dose_per_kg_without_a_weight_says_the_weight_is_needed() -> None:
    sig = parse_sig("valproate 20 mg/kg/day")
    total, note = weighed(sig.daily, sig.daily_note, None)
    assert total is None and note is not None and "weight is needed" in note


# Appended text: sig words, numbers, amounts and free text, as wards add them
_APPENDED = st.lists(
    st.sampled_from(
        [
            "bd",
            "tds",
            "qid",
            "nocte",
            "mane",
            "prn",
            "po",
            "with food",
            "for 5 days",
            "then review",
            "2 tabs",
            "1-2 tabs",
            "10 mL",
            "600 mg",
            "+ 600 mg nocte",
            "and 200 mg at night",
            "q4h",
            "every 6 hours",
            "stat",
            "as directed",
            "(50 mg)",
            "x 2",
            "2",
            "b.i.d.",
            "q.4.h.",
            "if needed",
            "weekly",
            "1,200 mg",
            "5 mL",
            "sertraline",
            "increasing",
            ",",
            ";",
            "/",
            "-",
            "(",
            ")",
            "1",
            "0",
            "mg",
            "tabs",
            "kg",
            "/kg",
            "per day",
        ]
    )
    | st.text(alphabet="abcdeimnopqrstx .,;()/+-0123456789", max_size=12),
    min_size=1,
    max_size=4,
).map(" ".join)
_SIGS = st.sampled_from([text for text, *_ in TABLE])


def _states_a_maximum(text: str) -> bool:
    return any(word in text.lower() for word in ("max", "exceed", "more than"))


def _states_nothing(text: str) -> bool:
    """Text with no number and no frequency: it cannot complete a dose or a schedule."""
    return (
        not any(c.isdigit() for c in text)
        and parse_frequency(text) is None
        and not parse_sig(text).prn
    )


@given(_SIGS, _APPENDED)
def test_appending_text_never_lowers_the_daily_dose(text: str, appended: str) -> None:
    """Text appended to a sig never lowers its daily dose; text that states no number and no
    frequency never turns an unknown daily dose into a number.

    Exceptions, each right clinically: appended text with a stated daily maximum ("max 8
    tablets a day", "not to exceed 5 doses", "no more than ...") caps the schedule; a sig read at
    its stated maximum because it gives no schedule ("paracetamol 1 g max 4 g/day") is an upper
    bound, which a frequency added later refines; and an unknown may become a number when the
    appended text supplies what was missing ("gabapentin 300 mg" + "bd"). A daily dose that
    becomes unknown (appended "/kg": a dose per kg, needing the weight) is allowed.
    """
    assume(not _states_a_maximum(appended) and not _states_a_maximum(text))
    before = daily_of(text)
    after = daily_of(f"{text} {appended}")
    if before is None:
        assert after is None or not _states_nothing(appended), (
            f"{text!r} + {appended!r} turned unknown into {after}"
        )
    elif after is not None:
        assert after[1] == before[1] and after[0] >= before[0], (
            f"{text!r} + {appended!r}: {before} became {after}"
        )
