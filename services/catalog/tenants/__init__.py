"""Catalog's read model of tenants: company and plan limits, fed by identity's events."""
