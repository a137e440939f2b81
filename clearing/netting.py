"""The arithmetic of a clearing period, apart from the database: net positions from pair totals,
the settlement instructions that realise them, and the checksum over everything (DESIGN.md §5).

Pure functions over at most 32 × 31 pairs: what they return depends on their input alone, in a
fixed order, so a rerun over the same obligations gives the same instructions and checksum."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Hash total of an obligation (NACHA's "entry hash" idea): (id mod HASH_MODULUS) × (individual
# + 7 × pooled), summed per pair in the batch's GROUP BY. Small enough that a month of a million
# obligations stays inside a 64-bit sum; any change of an id or an amount changes it.
HASH_MODULUS = 9973
POOLED_WEIGHT = 7


@dataclass(frozen=True)
class Pair:
    """What `payer` owes `payee` over a period's obligations."""

    payer: str
    payee: str
    count: int
    individual_fen: int
    pooled_fen: int
    hash_total: int

    @property
    def amount_fen(self) -> int:
        return self.individual_fen + self.pooled_fen


@dataclass(frozen=True)
class Net:
    province: str
    receivable_fen: int
    payable_fen: int

    @property
    def net_fen(self) -> int:
        """Positive: the province receives; negative: it pays."""
        return self.receivable_fen - self.payable_fen


@dataclass(frozen=True)
class Payment:
    payer: str
    payee: str
    amount_fen: int


def net_positions(pairs: Iterable[Pair]) -> list[Net]:
    """Each province that appears in a pair: what it receives, pays, and the difference."""
    receivable: dict[str, int] = {}
    payable: dict[str, int] = {}
    for pair in pairs:
        receivable[pair.payee] = receivable.get(pair.payee, 0) + pair.amount_fen
        payable[pair.payer] = payable.get(pair.payer, 0) + pair.amount_fen
    provinces = sorted(receivable.keys() | payable.keys())
    return [Net(p, receivable.get(p, 0), payable.get(p, 0)) for p in provinces]


def settlement_instructions(nets: Mapping[str, int]) -> list[Payment]:
    """Payments that bring every province's net to zero, at most (non-zero nets − 1) of them.

    First a debtor and a creditor whose nets are equal and opposite settle with one payment
    (largest amounts first, lower codes first); then, repeatedly, the largest debtor pays the
    largest creditor the smaller of the two amounts (ties go to the lower code). Each payment
    clears at least one province and the last clears two, hence the bound."""
    if sum(nets.values()) != 0:
        raise ValueError("net positions must sum to zero")
    owes = {p: -n for p, n in nets.items() if n < 0}
    due = {p: n for p, n in nets.items() if n > 0}
    payments: list[Payment] = []

    creditors_by_amount: dict[int, list[str]] = {}
    for province in sorted(due):
        creditors_by_amount.setdefault(due[province], []).append(province)
    for debtor in sorted(owes, key=lambda p: (-owes[p], p)):
        creditors = creditors_by_amount.get(owes[debtor])
        if creditors:
            creditor = creditors.pop(0)
            payments.append(Payment(debtor, creditor, owes.pop(debtor)))
            del due[creditor]

    while owes:
        debtor = min(owes, key=lambda p: (-owes[p], p))
        creditor = min(due, key=lambda p: (-due[p], p))
        amount = min(owes[debtor], due[creditor])
        payments.append(Payment(debtor, creditor, amount))
        for side, province in ((owes, debtor), (due, creditor)):
            side[province] -= amount
            if side[province] == 0:
                del side[province]
    return payments


def period_checksum(
    period: str, pairs: list[Pair], positions: list[Net], payments: list[Payment]
) -> str:
    """SHA-256 over the period's obligations (through each pair's count, sums and hash total)
    and every result, in a canonical form."""
    canonical = {
        "period": period,
        "pairs": [
            [p.payer, p.payee, p.count, p.individual_fen, p.pooled_fen, p.hash_total]
            for p in sorted(pairs, key=lambda p: (p.payer, p.payee))
        ],
        "positions": [[n.province, n.receivable_fen, n.payable_fen] for n in positions],
        "instructions": [[i, p.payer, p.payee, p.amount_fen] for i, p in enumerate(payments)],
    }
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
