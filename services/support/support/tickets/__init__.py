"""Tickets: an employee's requests to the support agents of their tenant, and the conversation."""
