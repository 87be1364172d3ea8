"""Webhooks' read model of tenants: the companies identity has created, fed by its events."""
