"""Local platform runner: prepares ``var/``, migrates, seeds, renders Nginx and supervises."""
