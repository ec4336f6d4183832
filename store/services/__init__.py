"""Domain operations of the points store, one module per resource. Views, admin, commands, the demo
and tests call these; nothing else writes receipts or stock movements. Nothing here writes the
points ledger.

- counter: redeem, return_receipt
- stock: deliver, write_off, stock_of
- catalogue: add_goods, change_goods, configure_store
"""

from store.services.catalogue import add_goods, change_goods, configure_store
from store.services.counter import redeem, return_receipt
from store.services.stock import deliver, stock_of, write_off

__all__ = [
    "add_goods",
    "change_goods",
    "configure_store",
    "deliver",
    "redeem",
    "return_receipt",
    "stock_of",
    "write_off",
]
