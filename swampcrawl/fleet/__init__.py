"""Several crawl workers on one shared frontier in Redis (scrapy-redis), one archive, one database.

Switched on by ``SWAMPCRAWL_REDIS_URL`` alone (docs/fleet.md). ``keys`` names every Redis key a
crawl uses; ``connection`` opens Redis from the settings.
"""
