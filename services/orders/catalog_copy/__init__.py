"""Orders' copy of catalog's products and customers' own prices, fed by catalog's events: what an order line is
priced from."""
