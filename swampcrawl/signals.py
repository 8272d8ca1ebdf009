"""swampcrawl's own Scrapy signals (sent with ``crawler.signals.send_catch_log``).

Components announce events through these instead of relying on the order in which
handlers of Scrapy's signals were connected.
"""

#: Sent by the WARC capture extension once a response (and its request) is written to the
#: archive. Arguments: ``response``, ``request``, ``ref`` (a ``WarcRef``), ``spider``.
response_archived = object()

#: Sent by a spider when a request failed for good (after its retries), or a requisite
#: answered with an error status. Arguments: ``url``, ``kind`` (the page kind, or the
#: requisite's), ``reason`` (one line), ``attempts``, ``last_status`` (None without a response),
#: ``spider``. The store pipeline records it as an ``errors`` row.
request_failed = object()
