"""Price overrides: one customer's own price for one product, which every contact of the customer gets."""
