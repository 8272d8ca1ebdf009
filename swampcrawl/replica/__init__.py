"""The offline replica of vocal.media: a deterministic fake site and its ground truth.

It reproduces the public pages of the real site (docs/replica.md) so the
crawler can be tested offline, and exposes what it serves as data (``Site.truth()``)
so tests compare a crawl's output with it. It shares no code with the extraction
code (``swampcrawl.pages``, ``swampcrawl.urls``): a bug held in common would pass
every test while the real site breaks the crawler.
"""
