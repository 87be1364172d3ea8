"""Catalog service: products, per-customer price overrides and effective prices, per company."""
