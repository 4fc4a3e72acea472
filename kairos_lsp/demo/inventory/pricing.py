"""Prices and taxes."""

TAX_RATE = 0.2


def price_with_tax(amount: float, rate: float = TAX_RATE) -> float:
    """Add tax to a net amount, rounded to cents."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    return round(amount * (1 + rate), 2)
