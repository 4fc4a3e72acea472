"""Stock levels per SKU, with reservations that expire."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from .pricing import price_with_tax

log = logging.getLogger(__name__)
DEFAULT_HOLD_SECONDS = 900


class OutOfStock(Exception):
    """Raised when a reservation asks for more than is on hand."""


@dataclass
class Reservation:
    sku: str
    quantity: int
    expires_at: float = field(default_factory=lambda: time.time() + DEFAULT_HOLD_SECONDS)

    def expired(self, now: float | None = None) -> bool:
        """True once the hold has lapsed."""
        return (now or time.time()) >= self.expires_at


class Inventory:
    """Counts on hand per SKU and the reservations held against them."""

    def __init__(self, levels: dict[str, int] | None = None):
        self.levels = dict(levels or {})
        self.holds: list[Reservation] = []

    def available(self, sku: str) -> int:
        """On-hand quantity minus live reservations."""
        held = sum(r.quantity for r in self.holds if r.sku == sku and not r.expired())
        return self.levels.get(sku, 0) - held

    def reserve(self, sku: str, quantity: int = 1) -> Reservation:
        """Hold `quantity` units of `sku` for a checkout."""
        if quantity > self.available(sku):
            log.warning("short on %s", sku)
            raise OutOfStock(sku)
        hold = Reservation(sku, quantity)
        self.holds.append(hold)
        return hold

    def quote(self, sku: str, unit_price: float, quantity: int = 1) -> float:
        """Price of a reservation, tax included."""
        return price_with_tax(unit_price * quantity)
