"""Accounts: registration, sign-in, two-factor, sessions, roles, export and deletion."""
