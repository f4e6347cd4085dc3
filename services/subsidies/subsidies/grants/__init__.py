"""Grants: the subsidies reserved for orders and bookings, and their lifecycle."""
