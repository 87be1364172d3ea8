"""Customers, their contacts and addresses: who buys from the distributor, and who signs in for them."""
