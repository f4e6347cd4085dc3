"""Partner listing requests: the public form and the review by the tenant's support agents."""
