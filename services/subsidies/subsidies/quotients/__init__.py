"""Subsidies by family quotient (quotient familial): brackets from the tax notice, checked by
a tenant admin; the notice and the income are deleted right after the check."""
