"""External sources: record shapes, tolerant parsing and writing observations into the store."""
