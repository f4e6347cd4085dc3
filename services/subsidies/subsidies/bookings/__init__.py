"""Bookings of activities, paid by SEPA direct debit less the subsidy."""
