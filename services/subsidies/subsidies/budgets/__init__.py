"""The yearly budget of a tenant's subsidies, never overspent."""
