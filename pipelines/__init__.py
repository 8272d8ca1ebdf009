"""Scrapy item pipelines: normalise items into records, store them in SQLite, archive metadata."""
