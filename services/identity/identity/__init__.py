"""Identity service: tenants, users, roles, sessions; verifies sessions for the gateway."""
