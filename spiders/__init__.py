"""Scrapy spiders: routing only (which URL is which page kind, what to follow next)."""
