"""Sign-in with the employer's directory (OpenID Connect): a tenant's provider, the pending
sign-ins, and the link between an account and its subject at the provider."""
