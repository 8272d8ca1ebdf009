"""WARC writing and reading, CDXJ indexes, WACZ packaging and repair of half-written files."""
