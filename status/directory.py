"""The support directory: phone numbers by region and support hours (product spec, verbatim)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SupportRegion:
    code: str
    name: str
    phone: str
    countries: tuple[str, ...]  # ISO 3166-1 alpha-2 codes this number serves
    note: str = ""


SUPPORT_REGIONS: tuple[SupportRegion, ...] = (
    SupportRegion(
        code="north_america",
        name="North America",
        phone="(877) 704-3700",
        countries=("US", "CA"),
        note="In the US only designated support users (DSUs) may call support.",
    ),
    SupportRegion(
        code="united_kingdom", name="United Kingdom", phone="+44 (0)19 1479 5990", countries=("GB",)
    ),
    SupportRegion(code="australia", name="Australia", phone="+61 1300 729 330", countries=("AU",)),
    SupportRegion(code="south_africa", name="South Africa", phone="+27 (0)11 304 3220", countries=("ZA",)),
    SupportRegion(code="france", name="France", phone="01 70 73 16 40", countries=("FR",)),
    SupportRegion(code="germany", name="Germany", phone="+49 69 500076297", countries=("DE",)),
)

REGION_BY_COUNTRY: dict[str, SupportRegion] = {
    country: region for region in SUPPORT_REGIONS for country in region.countries
}

SUPPORT_OPENS = "06:00"
SUPPORT_CLOSES = "18:00"
SUPPORT_HOURS_BASIS = "Local time in each country served."
AFTER_HOURS_PRIORITIES = ("P1",)
AFTER_HOURS_NOTE = "After-hours support is available for high-priority (P1) cases."


def region_for_country(country: str) -> SupportRegion | None:
    return REGION_BY_COUNTRY.get(country.upper())
