"""The identity service: companies, plans and subscriptions, users, memberships and credential checks."""
