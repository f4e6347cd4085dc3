"""Employees' orders: placed at the server's prices, seen by the buyer and the tenant's admin,
cancelled while unpaid; the record of each sale is kept for the commercial limitation period."""
