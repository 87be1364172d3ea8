"""Orders' read model of tenants: company, plan limits and billing profile, fed by identity's events."""
