"""Signup, sign-in and the signed-in user: users, memberships and password checks."""
