"""The shared frontier with leases: scrapy-redis's PriorityQueue, popping into a lease.

scrapy-redis's queue removes a request from Redis when a worker takes it, so a worker killed
mid-request loses it for good. Here a pop moves the request, atomically (one Lua script), from
the frontier into the worker's ``leases:<worker>`` hash, under a lease id carried in
``request.meta["fleet_lease"]``; the worker acknowledges the lease (``ack``) once the request's
callback output is pushed. What a dead worker held goes back to the frontier
(``swampcrawl.fleet.leases``): at-least-once delivery.

``push_unseen`` is the duplicate filter and the push in one script: a request is marked seen
only together with its entry in the frontier, so a worker dying between the two never leaves
a URL marked seen that no one will fetch.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import redis
from scrapy import Request
from scrapy_redis.queue import PriorityQueue

from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.fleet.leases import requeue_leases
from swampcrawl.fleet.worker import FleetWorker

logger = logging.getLogger(__name__)

LEASE_META = "fleet_lease"

# KEYS: frontier, the worker's leases, workers. ARGV: lease id, worker.
# The request with the lowest score (highest priority) into the lease hash, as JSON
# {score, data}; the worker stays a member of ``workers`` while it holds leases, so a reaper
# finds them even if it had been reaped before.
POP_INTO_LEASE = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if popped[1] == nil then
  return false
end
redis.call('ZREM', KEYS[1], popped[1])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({score = popped[2], data = popped[1]}))
redis.call('SADD', KEYS[3], ARGV[2])
return popped[1]
"""

# KEYS: request fingerprints, frontier, scheduled URLs. ARGV: fingerprint, score, request, URL.
PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
return 1
"""


class LeasedPriorityQueue(PriorityQueue):
    """The frontier (a sorted set, score = -priority) whose pops are leases of ``worker``.

    Built by scrapy-redis's scheduler with ``server, spider, key, serializer``; the worker id
    is the FleetWorker extension's, unless given (tests).
    """

    def __init__(self, server: redis.Redis, spider: Any, key: str, serializer: Any = None,
                 worker: str | None = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.keys = CrawlKeys(spider.name)
        self.worker = worker if worker is not None else FleetWorker.of(spider.crawler).worker_id
        self.lease_ids = itertools.count(1)
        self._pop = server.register_script(POP_INTO_LEASE)
        self._push_unseen = server.register_script(PUSH_UNSEEN)

    def _encode_request(self, request: Request) -> str:
        """The request as JSON, without the lease it was popped under (it gets a new one)."""
        obj = request.to_dict(spider=self.spider)
        obj["meta"] = {key: value for key, value in obj["meta"].items() if key != LEASE_META}
        return self.serializer.dumps(obj)

    def pop(self, timeout: int = 0) -> Request | None:
        """The next request, leased to this worker (never a blocking pop: ``timeout`` is unused)."""
        while True:
            lease = str(next(self.lease_ids))
            data = self._pop(keys=[self.key, self.keys.leases(self.worker), self.keys.workers],
                             args=[lease, self.worker])
            if data is None:
                return None
            try:
                request = self._decode_request(data)
            except Exception as error:  # not a request we wrote: dropped, not retried forever
                logger.error("dropping a queued request that cannot be read (%s): %.200r", error, data)
                self.server.hdel(self.keys.leases(self.worker), lease)
                continue
            request.meta[LEASE_META] = lease
            return request

    def push_unseen(self, request: Request, fingerprints: str, fingerprint: str, scheduled: str) -> bool:
        """Push ``request`` unless its fingerprint is in the set ``fingerprints``; add the
        fingerprint, and the URL to the set ``scheduled``, with the push. Whether it was pushed."""
        args = [fingerprint, -request.priority, self._encode_request(request), request.url]
        return bool(self._push_unseen(keys=[fingerprints, self.key, scheduled], args=args))

    def ack(self, request: Request) -> bool:
        """The request's output is pushed: its lease ends. False when it held none (it was
        not popped here) or the lease was gone (requeued by a reaper meanwhile)."""
        lease = request.meta.get(LEASE_META)
        return lease is not None and bool(self.server.hdel(self.keys.leases(self.worker), lease))

    def requeue_leases(self) -> int:
        """Every lease of this worker back into the frontier; how many."""
        return requeue_leases(self.server, self.keys, self.worker)
