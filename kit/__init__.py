"""Shared plumbing for Distribu's services and gateway: settings, database, events, errors, logging.

Nothing in here knows about companies, customers or orders; domain rules live in the services.
"""
