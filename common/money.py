"""Money is integer fen. Rates are Decimal. One half-up rounding per amount, nothing else."""

from decimal import ROUND_HALF_UP, Decimal


def round_fen(amount: Decimal) -> int:
    """Round an exact Decimal amount of fen to a whole fen, half up (0.5 fen → 1 fen)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> str:
    """Display form in 元 with two decimals and thousands separators: 123456 → '1,234.56'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}"
