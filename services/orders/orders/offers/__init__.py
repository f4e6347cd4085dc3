"""The tenant's offers: tickets, vouchers and goods the works council sells (nothing personal)."""
