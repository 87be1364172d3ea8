"""Distribu's domain services: identity, catalog, orders, audit and webhooks, one package each."""
