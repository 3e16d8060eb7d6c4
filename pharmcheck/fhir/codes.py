"""The code systems and codes the FHIR reader understands, each read in a published source.

- Systems: hl7.org/fhir/R4/terminologies-systems.html (RxNorm, SNOMED CT, LOINC, ICD-10-CM, UCUM,
  ATC as http://www.whocc.no/atc).
- CrCl: LOINC 2164-2 "Creatinine renal clearance in 24 hour Urine and Serum or Plasma" (a German
  lab value set, hl7ch CH LAB-Order examples); 35591-7 "Creatinine renal clearance predicted by
  Cockcroft-Gault formula" (a LOINC table extract; a French lab value set).
- eGFR: 98979-8 and 98980-6 (CKD-EPI 2021), hl7ch/ch-lab-report profile
  ChLabObservation_eGFR_CKD_EPI_2021; 62238-1, 88294-4, 88293-6, 33914-3, 48642-3, 48643-1,
  50044-7, 70969-1, 50384-7 with their LOINC displays as OHDSI Athena lists them
  (zietzm/phenotype_standardization, reduced_egfr).
- Serum creatinine 2160-0 (mass/volume) and 14682-9 (moles/volume): hl7ch/ch-lab-order
  ObservationDefinition examples and their LOINC displays.
- Body weight 29463-7 and 3141-9 "Body weight Measured": the FHIR R4 vital-signs Observation
  example and the US Core body-weight profile.
- Pregnancy status 82810-3 with SNOMED CT 77386006 "Patient currently pregnant" and 60001007 "Not
  pregnant" (DICOM CID 6096 as a FHIR ValueSet; CQF anthrax CPG test cases), and LOINC answers
  LA15173-0 "Pregnant", LA26683-5 "Not pregnant" (a pregnancy-status ValueSet).
- Timing.code: the 16 codes of the R4 value set timing-abbreviation (v3-GTSAbbreviation).
"""

from __future__ import annotations

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"

#: Drug code systems by FHIR system URI -> the name the knowledge base gives them.
DRUG_SYSTEMS = {ATC: "ATC", RXNORM: "RxNorm", SNOMED: "SNOMED CT"}
#: Condition code systems by FHIR system URI -> the system name of db/condition_codes.
CONDITION_SYSTEMS = {SNOMED: "SNOMED CT", ICD10CM: "ICD-10-CM"}

#: Creatinine clearance, mL/min.
CRCL_CODES = {
    "2164-2": "measured (24 h urine and serum)",
    "35591-7": "Cockcroft-Gault",
}
#: eGFR per 1.73 m2 by formula; the race-based and older equations are accepted and named.
EGFR_CODES = {
    "98979-8": "CKD-EPI 2021 creatinine",
    "98980-6": "CKD-EPI 2021 creatinine and cystatin C",
    "62238-1": "CKD-EPI creatinine (2009)",
    "88294-4": "CKD-EPI among non-blacks (race-based, older)",
    "88293-6": "CKD-EPI among blacks (race-based, older)",
    "33914-3": "MDRD (older)",
    "48642-3": "MDRD among non-blacks (race-based, older)",
    "48643-1": "MDRD among blacks (race-based, older)",
    "50044-7": "MDRD among females (older)",
    "70969-1": "MDRD among males (older)",
    "50384-7": "Schwartz (paediatric)",
}
#: Serum or plasma creatinine by the unit its code measures.
CREATININE_CODES = {"2160-0": "mg/dL", "14682-9": "umol/L"}
WEIGHT_CODES = {"29463-7": "body weight", "3141-9": "body weight measured"}
PREGNANCY_STATUS = "82810-3"
#: Answers to pregnancy status: SNOMED CT findings and LOINC answer codes.
PREGNANCY_ANSWERS = {
    (SNOMED, "77386006"): True,  # Patient currently pregnant
    (SNOMED, "60001007"): False,  # Not pregnant
    (LOINC, "LA15173-0"): True,  # Pregnant
    (LOINC, "LA26683-5"): False,  # Not pregnant
}

#: Weight units (UCUM code or unit as written, lower case) -> kg per unit.
WEIGHT_UNITS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237}

#: Timing.code (v3-GTSAbbreviation) -> administrations per day (monthly: a 28-day month, the
#: shortest, so that a daily dose is never read smaller).
TIMING_CODES = {
    "QD": 1.0,
    "BID": 2.0,
    "TID": 3.0,
    "QID": 4.0,
    "AM": 1.0,
    "PM": 1.0,
    "BED": 1.0,
    "QOD": 0.5,
    "Q1H": 24.0,
    "Q2H": 12.0,
    "Q3H": 8.0,
    "Q4H": 6.0,
    "Q6H": 4.0,
    "Q8H": 3.0,
    "WK": 1 / 7,
    "MO": 1 / 28,
}
#: Timing.repeat.periodUnit (UCUM, required binding) -> days; a month is counted as 28 days
#: and a year as 365, the shortest, so that a daily dose is never read smaller.
PERIOD_DAYS = {
    "s": 1 / 86400,
    "min": 1 / 1440,
    "h": 1 / 24,
    "d": 1.0,
    "wk": 7.0,
    "mo": 28.0,
    "a": 365.0,
}

#: Dose units (UCUM code or unit as written, lower case) -> the unit pharmcheck reads.
DOSE_UNITS = {
    "mg": "mg",
    "g": "g",
    "ug": "mcg",
    "mcg": "mcg",
    "µg": "mcg",
    "ml": "mL",
    "mmol": "mmol",
    "u": "units",
    "[iu]": "units",
    "iu": "units",
    "unit": "units",
    "units": "units",
    "mg/kg": "mg/kg",
    "ug/h": "mcg/h",
    "mcg/h": "mcg/h",
}
#: Countable dose forms: a dose in these needs the product's strength to be an amount.
COUNT_UNITS = frozenset(
    {
        "{tbl}",
        "{tablet}",
        "{tablets}",
        "tab",
        "tabs",
        "tablet",
        "tablets",
        "{cap}",
        "{capsule}",
        "{capsules}",
        "cap",
        "caps",
        "capsule",
        "capsules",
        "1",
        "{each}",
        "each",
    }
)
