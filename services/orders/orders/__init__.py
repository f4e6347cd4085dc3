"""Orders service: offers of the tenant, employees' orders, legal retention of purchases."""
