"""Which version of the policy decided a case, and why (pure: from the rules' version table)."""

from __future__ import annotations

from datetime import date

from reasoner._facts import ymd
from reasoner.catalogue import Catalogue
from reasoner.decision import VersionBasis


def version_basis(cat: Catalogue, version_id: str | None, service: date, as_of: date | None) -> VersionBasis:
    chosen_by, day = ("as_of", as_of) if as_of is not None else ("date_of_service", service)
    where = "the as-of date asked for" if as_of is not None else "the date of service"
    if version_id is None:
        first = min(cat.versions.values(), key=lambda v: v.start)
        return VersionBasis(chosen_by, day, f"no version is in force on {day.isoformat()}, {where} "
                            f"(the first version starts {first.name})")
    version = cat.versions[version_id]
    reason = f"version {version.name} is in force on {day.isoformat()}, {where}"
    warnings: tuple[str, ...] = ()
    if as_of is not None and not version.start <= ymd(service) <= version.end:
        warnings = (f"date_of_service {service.isoformat()} falls outside version {version.name}, "
                    f"which was chosen by the as-of date {as_of.isoformat()}",)
    return VersionBasis(chosen_by, day, reason, warnings)
