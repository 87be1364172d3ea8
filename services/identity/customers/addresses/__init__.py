"""Customer addresses: where a customer's orders ship, one of them the default."""
