"""The drugs the knowledge-base issue names are all covered by curated facts."""

from __future__ import annotations

import pytest

from pharmcheck.inputs.resolve import Resolver

NAMED = """
morphine hydromorphone pethidine tramadol tapentadol fentanyl methadone oxycodone hydrocodone
codeine oxymorphone buprenorphine citalopram escitalopram fluoxetine fluvoxamine paroxetine
sertraline venlafaxine duloxetine amitriptyline nortriptyline imipramine clomipramine phenelzine
tranylcypromine moclobemide selegiline bupropion mirtazapine trazodone lithium carbamazepine
oxcarbazepine phenytoin lamotrigine gabapentin pregabalin vigabatrin tiagabine ciprofloxacin
levofloxacin moxifloxacin ofloxacin cefepime ceftazidime ceftriaxone imipenem meropenem ertapenem
amoxicillin piperacillin linezolid gentamicin aciclovir valaciclovir etomidate propofol ketamine
clozapine quetiapine olanzapine risperidone haloperidol levodopa amantadine metoclopramide
bismuth-subsalicylate ifosfamide chlorambucil baclofen diltiazem methylene-blue ibuprofen naproxen
diclofenac diazepam lorazepam midazolam zolpidem zopiclone clonazepam valproic-acid levetiracetam
piracetam brivaracetam zonisamide topiramate primidone phenobarbital perampanel oxitriptan
oxybutynin benzatropine trihexyphenidyl diphenhydramine
""".split()


@pytest.mark.parametrize("name", [n.replace("-", " ") for n in NAMED])
def test_named_drug_has_curated_facts(kb, checker, name: str) -> None:  # type: ignore[no-untyped-def]
    resolution = Resolver(checker.kb).resolve(name)
    assert resolution.resolved, name
    drug_id = resolution.drugs[0][0]
    facts = (
        [f for f in kb.risks if f["drug_id"] == drug_id]
        + kb.treatments_by_drug.get(drug_id, [])
        + kb.properties_by_drug.get(drug_id, [])
        + [m for m in kb.classes_of(drug_id) if m.basis == "curated"]
    )
    assert facts, f"{name} has no curated fact"
