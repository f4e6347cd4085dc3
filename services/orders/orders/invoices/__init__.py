"""Invoices of paid orders: numbered without gaps per tenant and year, kept ten years."""
