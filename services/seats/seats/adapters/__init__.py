"""What seats reads from or writes to the outside world: import files (CSV, XLSX) and the
templates to fill in."""
