"""Tenants: the client companies and works councils, each with its own site."""
