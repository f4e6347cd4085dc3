"""Privacy service: data-subject requests, the data map, export archives, erasure reports."""
