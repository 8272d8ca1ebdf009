"""Several crawl workers on one shared frontier in Redis (scrapy-redis), one archive, one database.

Switched on by ``SWAMPCRAWL_REDIS_URL`` alone (docs/fleet.md). ``keys`` names every Redis key a
crawl uses; ``connection`` opens Redis from the settings. The frontier: ``scheduler`` and
``queue`` (scrapy-redis's, with leases), ``serializer`` (requests as JSON, never pickle),
``dupefilter`` (what the fleet asked for), ``leases`` (workers, heartbeats, reaping the dead)
and ``worker`` (the extension that makes a crawl process one worker).
"""
