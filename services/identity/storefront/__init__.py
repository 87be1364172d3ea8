"""Storefront accounts: a customer's primary account and its contacts setting a password and signing in."""
