"""The works council's books: double-entry accounting entries of grants, orders, SEPA debits
and vouchers, under the budget they belong to (ASC or AEP), exported as a FEC and as CSV."""
