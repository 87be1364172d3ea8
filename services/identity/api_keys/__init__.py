"""API keys: integrators' credentials with scopes, and the directory the gateway resolves them with."""
