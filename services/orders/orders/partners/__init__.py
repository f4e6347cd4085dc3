"""The fulfilment partners (OR5, Art. 19): what each gets of a paid order, the record of it
(``disclosures``), their acknowledgements, and the erasures and rectifications passed on."""
