"""Order lines priced from orders' copy of the catalog: what may be ordered, and what each line costs."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from contracts.orders import OrderLine
from services.orders.catalog_copy.pricing import PricedProduct

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class PricedLine:
    product: PricedProduct
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return (self.product.unit_price * self.quantity).quantize(CENTS)

    def as_order_line(self) -> OrderLine:
        return OrderLine(
            product_id=self.product.id,
            sku=self.product.sku,
            name=self.product.name,
            unit_of_sale=self.product.unit_of_sale,
            quantity=self.quantity,
            unit_price=self.product.unit_price,
            list_price=self.product.list_price,
            line_total=self.line_total,
        )


def unavailable_reason(product_id: uuid.UUID, product: PricedProduct | None) -> str | None:
    """Why a product cannot be ordered (unknown, deleted or archived), or None when it can."""
    if product is None:
        return f"Product {product_id} does not exist or was deleted."
    if not product.orderable:
        return f"{product.name} ({product.sku}) is archived and cannot be ordered."
    return None


def total_of(lines: list[PricedLine]) -> Decimal:
    return sum((line.line_total for line in lines), Decimal("0.00")).quantize(CENTS)
