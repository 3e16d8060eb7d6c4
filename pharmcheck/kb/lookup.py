"""Everything the KB says about one drug, as a plain dict (``pharmcheck drug show``)."""

from __future__ import annotations

from typing import Any

from pharmcheck.kb.risk import risk_assertion
from pharmcheck.kb.store import Fact, KnowledgeBase


def describe_drug(kb: KnowledgeBase, drug_id: int) -> dict[str, Any]:
    row = kb.drug_row(drug_id)
    found = risk_assertion(kb, drug_id)
    risk = (found.fact, found.via_class) if found else None
    props = kb.properties_by_drug.get(drug_id, [])

    def prop(name: str) -> list[Fact]:
        return [f for f in props if f["property"] == name]

    acb = prop("acb_score")
    mme = prop("mme_factor")
    treatments = [f for f in kb.treatments if f["drug_id"] == drug_id]
    renal = [f for f in kb.renal_bands if f["drug_id"] == drug_id]
    limits = kb.dose_limits_by_drug.get(drug_id, [])
    refs: dict[str, str] = {}
    for fact in [*props, *treatments, *limits, *renal, *([risk[0]] if risk else [])]:
        for ref in fact.references:
            refs.setdefault(ref.ref_id, ref.cite())
    return {
        "name": row["name"],
        "curated": bool(row["curated"]),
        "synonyms": [
            {"name": n, "kind": k} for n, k in kb.names_of(drug_id) if n.lower() != row["name"]
        ],
        "classes": [
            {"class": m.class_name, "basis": m.basis, "source": m.source}
            for m in kb.classes_of(drug_id)
        ],
        "smiles": row["smiles"],
        "inchikey": row["inchikey"],
        "drugbank_id": row["drugbank_id"],
        "atc_codes": [c for c in (row["atc_codes"] or "").split(";") if c],
        "myoclonus_risk": None
        if risk is None
        else {
            "grade": risk[0]["grade"],
            "evidence": risk[0]["evidence"],
            "via_class": risk[1],
            "mechanism": risk[0]["mechanism"],
            "dose_dependent": risk[0]["dose_dependent"],
            "worsening_conditions": risk[0]["worsening_conditions"],
            "summary": risk[0]["summary"],
            "references": [r.cite() for r in risk[0].references],
        },
        "anticholinergic_burden": int(acb[0]["value"]) if acb else None,
        "mme_factor": float(mme[0]["value"]) if mme else None,
        "serotonergic": [str(f["value"]) for f in prop("serotonergic_role")],
        "dose_limits": [
            {
                "max_daily_dose": f["max_daily_dose"],
                "unit": f["unit"],
                "route": f["route"],
                "formulation": f["formulation"],
                "indication": f["indication"],
                "population": f["population"],
            }
            for f in limits
        ],
        "renal": [
            {
                "lower": f["lower"],
                "upper": f["upper"],
                "dialysis": f["dialysis"],
                "route": f["route"],
                "action": f["action"],
                "max_daily_dose": f["max_daily_dose"],
                "unit": f["unit"],
                "fraction": f["fraction"],
                "interval_hours": f["interval_hours"],
                "text": f["band_text"],
                "persistent": bool(f["persistent"]),
            }
            for f in renal
        ],
        "treats_myoclonus": [
            {
                "types": (f["myoclonus_types"] or "").split(";"),
                "role": f["role"],
                "tolerance": f["tolerance"],
                "tolerance_days": f["tolerance_days"],
                "withdrawal_risk": f["withdrawal_risk"],
            }
            for f in treatments
        ],
        "references": list(refs.values()),
    }
