"""The storefront's catalog: ACTIVE products with each signed-in customer's own prices."""
