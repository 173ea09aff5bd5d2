"""Input oddities that do not stop the decision (CONTRACT.md section 2, `warnings`)."""

from __future__ import annotations

from collections.abc import Iterator

from reasoner.case import Case
from reasoner.vocabulary import DeviceKind, Drug

INSULIN_DEVICES = frozenset(
    {DeviceKind.insulin_pump, DeviceKind.omnipod, DeviceKind.omnipod_dash,
     DeviceKind.omnipod_pdm, DeviceKind.v_go}
)


def case_warnings(case: Case) -> list[str]:
    return list(_warnings(case))


def _warnings(case: Case) -> Iterator[str]:
    device, current = case.device, case.current_device
    drug = case.therapy.drug
    if drug is not None and device.kind in INSULIN_DEVICES and drug is not Drug.insulin:
        yield f"therapy.drug is {drug.value} but device.kind {device.kind.value} delivers insulin"
    if drug is Drug.insulin and device.kind is DeviceKind.infusion_pump:
        yield "therapy.drug is insulin but device.kind infusion_pump is a non-insulin pump"
    if device.replacement is True and current is None:
        yield "device.replacement is true but current_device is not given: its state is unknown"
    if current is not None and device.replacement is not True:
        yield "current_device is given but device.replacement is not true: the request is read as new"
    if current is not None and current.received_on and current.received_on > case.date_of_service:
        yield "current_device.received_on is after date_of_service"
    if case.member.diagnoses is None:
        yield "member.diagnoses is not given: every diagnosis condition is unknown"
    elif len(set(case.member.diagnoses)) != len(case.member.diagnoses):
        yield "member.diagnoses lists a code twice"
