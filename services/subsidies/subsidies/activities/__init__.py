"""Activities to book (a trip, a class)."""
