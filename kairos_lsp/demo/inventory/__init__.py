"""A small inventory service: the example project that `kairos demo` scans."""

from .pricing import price_with_tax
from .stock import Inventory, OutOfStock

__all__ = ["Inventory", "OutOfStock", "price_with_tax"]
