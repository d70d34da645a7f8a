"""Reading and writing scenario files and people tables, with the limits that keep hostile input bounded."""
