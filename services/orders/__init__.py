"""Orders service: orders and their items, status lifecycle, documents and orders-per-month counting."""
