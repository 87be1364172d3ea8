"""The gateway: Distribu's only public entry, in front of identity, catalog, orders, audit and webhooks.

It resolves tenant and principal, enforces roles, rate limits and CSRF, stamps request ids and
forwards to the owning service with a signed internal context. It also serves the web UI, as a
thin layer over the same service endpoints. It holds no business rules and no database.
"""
