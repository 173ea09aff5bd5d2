"""The closed vocabularies of the input contract (docs/contract.md section 1).

These enumerations are the only source of the constants that reach the solver:
a value outside them is refused during validation, before any fact is built.
"""

from __future__ import annotations

from enum import StrEnum


class Drug(StrEnum):
    insulin = "insulin"
    deferoxamine = "deferoxamine"
    heparin = "heparin"
    chemotherapy = "chemotherapy"
    morphine = "morphine"
    parenteral_analgesic = "parenteral_analgesic"
    epoprostenol = "epoprostenol"
    treprostinil = "treprostinil"
    immune_globulin = "immune_globulin"
    antibiotic = "antibiotic"
    other = "other"


class Setting(StrEnum):
    home = "home"
    inpatient = "inpatient"
    outpatient = "outpatient"
    hospice = "hospice"
    institutional = "institutional"


class DeviceKind(StrEnum):
    infusion_pump = "infusion_pump"
    insulin_pump = "insulin_pump"
    omnipod = "omnipod"
    omnipod_dash = "omnipod_dash"
    omnipod_pdm = "omnipod_pdm"
    v_go = "v_go"


class Acquisition(StrEnum):
    purchase = "purchase"
    rental = "rental"
    member_owned = "member_owned"


class DeviceModel(StrEnum):
    eros = "eros"
    dash = "dash"


class Finding(StrEnum):
    home_parenteral_reasonable = "home_parenteral_reasonable"
    pump_necessary_for_safety = "pump_necessary_for_safety"
    prolonged_infusion_improves_efficacy = "prolonged_infusion_improves_efficacy"
    regimen_advantage_over_bolus = "regimen_advantage_over_bolus"
    no_office_return_needed = "no_office_return_needed"
    controlled_rate_required = "controlled_rate_required"
    pain_resistant_to_conventional_therapy = "pain_resistant_to_conventional_therapy"
    medical_review_established = "medical_review_established"
    closed_loop_required = "closed_loop_required"
    replacement_for_convenience_or_technology = "replacement_for_convenience_or_technology"
    dash_unavailable_from_pharmacy = "dash_unavailable_from_pharmacy"
    records_support_modifier_59 = "records_support_modifier_59"


class Decision(StrEnum):
    covered = "covered"
    not_medically_necessary = "not_medically_necessary"
    experimental_investigational = "experimental_investigational"
    not_applicable = "not_applicable"


# The HCPCS codes that fit each device kind (docs/contract.md, `device.kind`).
DEVICE_CODES: dict[DeviceKind, frozenset[str]] = {
    DeviceKind.infusion_pump: frozenset({"E0779", "E0780", "E0781", "E0791", "K0455", "E1399"}),
    DeviceKind.insulin_pump: frozenset({"E0784"}),
    DeviceKind.omnipod: frozenset({"A9274"}),
    DeviceKind.omnipod_dash: frozenset({"A9274"}),
    DeviceKind.omnipod_pdm: frozenset({"A9274", "E1399"}),
    DeviceKind.v_go: frozenset({"A9274"}),
}

# The same table as plain text, sorted: the kind_code/2 facts of the rules.
KIND_CODES: dict[str, list[str]] = {kind.value: sorted(codes) for kind, codes in DEVICE_CODES.items()}
