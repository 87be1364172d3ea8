"""Orders' copy of identity's customers, their addresses, and the people who act on orders (staff users,
contacts, API keys), fed by identity's events: whom an order is for, where it ships, who placed and moved it."""
