"""The customer's own schema on the local stack: a dump loaded as a source database, rows generated for a
schema-only dump, and the engagement file to rehearse on it (``pocflow source add | list | remove``)."""
