"""The storefront cart: kept server-side per signed-in account, priced at the customer's prices when read."""
