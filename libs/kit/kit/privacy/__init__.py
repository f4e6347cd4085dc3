"""Personal data declared where it is defined, and the data-subject operations derived from it."""
