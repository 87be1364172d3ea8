"""The team: staff members and their roles, the one owner and its transfer, invites to join."""
