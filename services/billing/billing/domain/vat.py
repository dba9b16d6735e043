"""VAT on invoices (issue 15): which treatment a sale gets, at which rate, and the one
rounding rule.

Treatment, decided per invoice from the seller's and the buyer's country and the buyer's VAT
number (software and its licences are electronically supplied services, standard-rated):
- **domestic**: buyer in the seller's country, at that country's standard rate (category `S`);
- **reverse charge**: buyer in another EU member state with a valid VAT number: 0 %, the
  buyer accounts for the VAT (category `AE`, Art. 196 of Directive 2006/112/EC);
- **EU, no VAT number** (a consumer, or a buyer whose number is missing): the buyer country's
  rate, as the One-Stop-Shop rules for electronic services require (Art. 58; category `S`);
- **outside the EU**: no EU VAT (category `O`, "not subject to VAT": Art. 44).

Rounding, one rule: VAT is computed once per rate, on the sum of the invoice's lines at that
rate, rounded half away from zero to the cent (EN 16931 BR-CO-17: category tax amount =
taxable amount × rate). Each line shows its share of that amount, allocated by largest
remainder, so the lines' VAT adds up to the summary exactly and the invoice total is exactly
net + VAT.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from functools import cache
from importlib import resources

from contracts.parties import EU_COUNTRIES


class VatCategory(str, Enum):
    """EN 16931 VAT category codes (UNTDID 5305) used here."""

    STANDARD = "S"
    REVERSE_CHARGE = "AE"
    NOT_SUBJECT = "O"


# What the invoice must say when no VAT is charged, with the EN 16931 exemption reason code
# (VATEX, BT-121) beside it.
MENTIONS = {
    VatCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    VatCategory.NOT_SUBJECT: ("VATEX-EU-O", "Not subject to VAT"),
}


@dataclass(frozen=True)
class Treatment:
    category: VatCategory
    rate: Decimal  # percent, e.g. Decimal("20"), Decimal("5.5")
    country: str  # whose rate: the seller's (domestic), the buyer's (OSS), or the buyer's (0 %)

    @property
    def exemption(self) -> tuple[str, str] | None:
        """(VATEX code, legal mention) when no VAT is charged."""
        return MENTIONS.get(self.category)


@dataclass(frozen=True)
class VatSubtotal:
    """One line of the VAT summary (EN 16931 BG-23)."""

    category: VatCategory
    rate: Decimal
    taxable_minor: int
    tax_minor: int


@dataclass(frozen=True)
class Rate:
    country: str
    rate: Decimal
    effective_from: date


@cache
def rates() -> tuple[Rate, ...]:
    """The standard rates, read from `vat_rates.csv` beside this module: data, each with the
    date from which it applies, so a change of rate is a new row, never an edit."""
    text = resources.files(__package__).joinpath("vat_rates.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(
        Rate(row["country"], Decimal(row["standard_rate"]), date.fromisoformat(row["effective_from"])) for row in rows
    )


def standard_rate(country: str, on: date) -> Decimal:
    """The standard rate in force in `country` on `on`; LookupError when the table has none."""
    in_force = [rate for rate in rates() if rate.country == country and rate.effective_from <= on]
    if not in_force:
        raise LookupError(f"no VAT rate for {country} on {on}")
    return max(in_force, key=lambda rate: rate.effective_from).rate


def treatment(seller_country: str, buyer_country: str | None, buyer_vat_number: str | None, on: date) -> Treatment:
    """How a sale on `on` is taxed. A buyer of unknown country is treated as domestic: the
    seller's rate is what the seller owes when in doubt."""
    if buyer_country is None or buyer_country == seller_country:
        return Treatment(VatCategory.STANDARD, standard_rate(seller_country, on), seller_country)
    if buyer_country in EU_COUNTRIES:
        if buyer_vat_number:
            return Treatment(VatCategory.REVERSE_CHARGE, Decimal(0), buyer_country)
        return Treatment(VatCategory.STANDARD, standard_rate(buyer_country, on), buyer_country)
    return Treatment(VatCategory.NOT_SUBJECT, Decimal(0), buyer_country)


def round_half_away(value: Fraction) -> int:
    """To the nearest integer; halves away from zero (so a credit mirrors its charge)."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def tax_on(taxable_minor: int, rate: Decimal) -> int:
    return round_half_away(Fraction(taxable_minor) * Fraction(rate) / 100)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split over `weights` in proportion, in integers that add up to `total` exactly
    (largest remainder; ties go to the earlier line). All zero weights share nothing."""
    base = sum(weights)
    if base == 0:
        return [0] * len(weights)
    exact = [Fraction(total * weight, base) for weight in weights]
    shares = [int(share) for share in exact]  # towards zero
    left = total - sum(shares)
    step = 1 if left > 0 else -1
    order = sorted(range(len(weights)), key=lambda i: -abs(exact[i] - shares[i]))
    for i in order[: abs(left)]:
        shares[i] += step
    return shares


@dataclass(frozen=True)
class VatResult:
    line_tax_minor: tuple[int, ...]  # each line's share, in the order of the lines given
    summary: tuple[VatSubtotal, ...]

    @property
    def tax_minor(self) -> int:
        return sum(subtotal.tax_minor for subtotal in self.summary)


def apply(net_amounts_minor: Sequence[int], line_treatments: Sequence[Treatment]) -> VatResult:
    """The VAT of an invoice whose lines have these net amounts and treatments: one subtotal
    per (category, rate), each rounded once; each line's share of its subtotal."""
    groups: dict[tuple[VatCategory, Decimal], list[int]] = {}
    for index, line_treatment in enumerate(line_treatments):
        groups.setdefault((line_treatment.category, line_treatment.rate), []).append(index)
    line_tax = [0] * len(net_amounts_minor)
    summary = []
    for (category, rate), indexes in groups.items():
        taxable = sum(net_amounts_minor[i] for i in indexes)
        tax = tax_on(taxable, rate)
        for i, share in zip(indexes, allocate(tax, [net_amounts_minor[i] for i in indexes]), strict=True):
            line_tax[i] = share
        summary.append(VatSubtotal(category, rate, taxable, tax))
    return VatResult(tuple(line_tax), tuple(summary))
