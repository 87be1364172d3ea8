"""Customer contacts: the people signing in for a customer besides its primary account, each with a role."""
