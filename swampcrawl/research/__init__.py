"""For researchers: reading the database (search, query, export, stats, history, report,
Datasette). Read-only, without Scrapy; each command is a thin click command over a function
that returns plain values, shown as an aligned table for people or JSON for scripts."""
