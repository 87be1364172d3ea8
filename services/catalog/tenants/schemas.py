"""Catalog's public view of its tenant read model."""

from kit.schemas import CamelModel


class CatalogLimits(CamelModel):
    """The plan's product limit and how much of it is used."""

    max_products: int | None
    active_products: int
