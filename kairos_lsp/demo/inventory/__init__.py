"""A small inventory service: the example project that `kairos demo` scans."""

from .stock import Inventory, OutOfStock
from .pricing import price_with_tax

__all__ = ["Inventory", "OutOfStock", "price_with_tax"]
