"""Accounts: the people of a tenant, managed by its admins, and what other services may ask
about them."""
