"""The netting arithmetic (clearing/netting.py): properties over any set of pair totals."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearing.netting import (
    Pair,
    net_positions,
    period_checksum,
    settlement_instructions,
)

UNITS = [f"{n}0000" for n in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41)] + [
    f"{n}0000" for n in (42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 66)
]
assert len(UNITS) == 32


@st.composite
def pair_sets(draw) -> list[Pair]:
    """Up to every ordered pair of the 32 units, amounts including adjustments (negative)."""
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(UNITS), st.sampled_from(UNITS)).filter(
                lambda k: k[0] != k[1]
            ),
            unique=True,
            max_size=80,
        )
    )
    return [
        Pair(
            payer,
            payee,
            count=draw(st.integers(1, 10_000)),
            individual_fen=draw(st.integers(-5_000_000, 10**12)),
            pooled_fen=draw(st.integers(-5_000_000, 10**12)),
            hash_total=draw(st.integers(0, 10**15)),
        )
        for payer, payee in keys
    ]


def _realised(payments) -> Counter:
    moved: Counter = Counter()
    for p in payments:
        moved[p.payee] += p.amount_fen
        moved[p.payer] -= p.amount_fen
    return moved


@given(pair_sets())
def test_nets_sum_to_zero_and_instructions_realise_them(pairs):
    nets = {n.province: n.net_fen for n in net_positions(pairs)}
    assert sum(nets.values()) == 0
    payments = settlement_instructions(nets)
    moved = _realised(payments)
    assert all(moved[p] == net for p, net in nets.items())
    assert set(moved) <= set(nets)
    assert all(p.amount_fen > 0 for p in payments)
    assert all(p.payer != p.payee for p in payments)
    non_zero = sum(1 for net in nets.values() if net != 0)
    assert len(payments) <= max(non_zero - 1, 0)


@given(st.dictionaries(st.sampled_from(UNITS), st.integers(-(10**13), 10**13), max_size=32))
def test_any_balanced_nets_are_realised_within_the_bound(draft):
    if not draft:
        return
    first = sorted(draft)[0]
    draft[first] -= sum(draft.values())  # balance them
    payments = settlement_instructions(draft)
    assert _realised(payments) == Counter({p: n for p, n in draft.items() if n != 0})
    assert len(payments) <= max(sum(1 for n in draft.values() if n) - 1, 0)
    assert all(p.amount_fen > 0 for p in payments)


@given(pair_sets(), st.randoms(use_true_random=False))
def test_deterministic_whatever_the_input_order(pairs, rnd):
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    nets_a, nets_b = net_positions(pairs), net_positions(shuffled)
    assert nets_a == nets_b
    as_dict = {n.province: n.net_fen for n in nets_a}
    reordered = dict(sorted(as_dict.items(), key=lambda item: rnd.random()))
    pay_a, pay_b = settlement_instructions(as_dict), settlement_instructions(reordered)
    assert pay_a == pay_b
    assert period_checksum("2026-11", pairs, nets_a, pay_a) == period_checksum(
        "2026-11", shuffled, nets_b, pay_b
    )


def test_equal_and_opposite_nets_pair_off_first():
    # Greedy alone needs four payments here (110000 would pay 440000 5, then be split);
    # pairing 120000 with 440000 first needs three.
    nets = {"110000": -6, "120000": -5, "440000": 5, "220000": 4, "310000": 2}
    payments = settlement_instructions(nets)
    assert [(p.payer, p.payee, p.amount_fen) for p in payments] == [
        ("120000", "440000", 5),
        ("110000", "220000", 4),
        ("110000", "310000", 2),
    ]


def test_largest_debtor_pays_largest_creditor():
    nets = {"110000": -500, "120000": -100, "440000": 350, "220000": 250}
    payments = settlement_instructions(nets)
    assert [(p.payer, p.payee, p.amount_fen) for p in payments] == [
        ("110000", "440000", 350),
        ("110000", "220000", 150),
        ("120000", "220000", 100),
    ]


def test_unbalanced_nets_are_refused():
    with pytest.raises(ValueError):
        settlement_instructions({"110000": -1, "220000": 2})


def test_checksum_changes_with_any_obligation_figure():
    pair = Pair("220000", "110000", 3, 1_500_000, 360_000, 123)
    nets = net_positions([pair])
    payments = settlement_instructions({n.province: n.net_fen for n in nets})
    base = period_checksum("2026-11", [pair], nets, payments)
    for changed in (
        Pair("220000", "110000", 4, 1_500_000, 360_000, 123),
        Pair("220000", "110000", 3, 1_500_001, 360_000, 123),
        Pair("220000", "110000", 3, 1_500_000, 360_000, 124),
    ):
        assert period_checksum("2026-11", [changed], nets, payments) != base
    assert period_checksum("2026-10", [pair], nets, payments) != base
