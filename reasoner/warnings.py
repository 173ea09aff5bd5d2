"""Input oddities that do not stop the decision (docs/contract.md section 2, `warnings`)."""

from __future__ import annotations

from collections.abc import Iterator

from reasoner.case_types import AnyCase, AnyCurrentDevice
from reasoner.vocabulary import DeviceKind, Drug

INSULIN_DEVICES = frozenset(
    {DeviceKind.insulin_pump, DeviceKind.omnipod, DeviceKind.omnipod_dash,
     DeviceKind.omnipod_pdm, DeviceKind.v_go}
)


def case_warnings(case: AnyCase) -> list[str]:
    return list(_warnings(case))


def _warnings(case: AnyCase) -> Iterator[str]:
    device, current = case.device, case.current_device
    drug = case.therapy.drug
    if drug is not None and device.kind in INSULIN_DEVICES and drug is not Drug.insulin:
        yield f"therapy.drug is {drug.value} but device.kind {device.kind.value} delivers insulin"
    if drug is Drug.insulin and device.kind is DeviceKind.infusion_pump:
        yield "therapy.drug is insulin but device.kind infusion_pump is a non-insulin pump"
    if device.replacement is True and current is None:
        yield "device.replacement is true but current_device is not given: its state is unknown"
    if current is not None and device.replacement is None and _state_given(current):
        yield ("current_device's state is given but device.replacement is not: the request is read as new "
               "until device.replacement is answered")
    if current is not None and current.received_on and current.received_on > case.date_of_service:
        yield "current_device.received_on is after date_of_service"
    if case.member.diagnoses is None:
        yield "member.diagnoses is not given: every diagnosis condition is unknown"
    elif case.member.diagnoses_complete is False:
        yield "member.diagnoses is a partial list: a diagnosis class not among its codes is unknown"
    elif len(set(case.member.diagnoses)) != len(case.member.diagnoses):
        yield "member.diagnoses lists a code twice"


def _state_given(current: AnyCurrentDevice) -> bool:
    """The state that only a replacement reads: functioning, warranty, repair."""
    return any(value is not None for value in (current.functioning, current.under_warranty, current.repairable))
