"""Subsidies service: per-tenant rules, beneficiary profiles, budgets, activities with SEPA
bookings, k-anonymous statistics."""
