"""Orders themselves: placing them (staff, integrators, storefront buyers), numbering, limits, lifecycle, lists."""
