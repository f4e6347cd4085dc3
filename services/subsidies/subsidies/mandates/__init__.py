"""SEPA direct-debit mandates: bank details validated, encrypted per field, masked."""
