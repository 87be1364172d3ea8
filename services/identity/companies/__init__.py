"""Companies: the tenant root, its name and storefront slug, and the storefront directory in Redis."""
