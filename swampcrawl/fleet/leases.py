"""Workers and their leases: who is alive, and the requests a dead worker held going back.

Each worker has an id (``new_worker_id``), is a member of the crawl's ``workers`` set, and
keeps a ``heartbeat:<worker>`` key alive (``beat``, every third of the lease time). Each
request it takes from the frontier is held in its ``leases:<worker>`` hash until the output
of the request's callback is pushed (``swampcrawl.fleet.queue``). When a heartbeat expires,
whoever reaps first (every worker on its heartbeat, and ``swampcrawl ingest``) puts that
worker's leases back into the frontier with their priority and removes the worker, in one Lua
script: two reapers can never requeue a lease twice, and a page is refetched at most once per
crash.

The scripts build a worker's key names from the prefixes CrawlKeys gives them (standalone Redis
allows keys a script derives; Redis Cluster would not).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket

import redis

from swampcrawl.fleet.keys import CrawlKeys
from swampcrawl.store.values import now_iso

logger = logging.getLogger(__name__)

# A lease is stored as JSON {"score": <the request's score in the frontier>, "data": <the request>}.
_REQUEUE = """
local function requeue(frontier, leases)
  local entries = redis.call('HVALS', leases)
  for _, entry in ipairs(entries) do
    local lease = cjson.decode(entry)
    redis.call('ZADD', frontier, lease.score, lease.data)
  end
  redis.call('DEL', leases)
  return #entries
end
"""

# KEYS: frontier, workers. ARGV: heartbeat key prefix, leases key prefix.
# Returns {worker, requeued, worker, requeued, ...} for each worker reaped.
REAP = _REQUEUE + """
local reaped = {}
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. worker) == 0 then
    local count = requeue(KEYS[1], ARGV[2] .. worker)
    redis.call('SREM', KEYS[2], worker)
    table.insert(reaped, worker)
    table.insert(reaped, count)
  end
end
return reaped
"""

# KEYS: frontier, the worker's leases, workers, the worker's heartbeat. ARGV: worker.
LEAVE = _REQUEUE + """
local count = requeue(KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[4])
return count
"""

# KEYS: frontier, the worker's leases.
REQUEUE_OWN = _REQUEUE + """
return requeue(KEYS[1], KEYS[2])
"""

# KEYS: frontier, workers, done. ARGV: leases key prefix, now.
# Done when nothing is queued and no member of ``workers`` holds a lease; ``done`` keeps the
# moment it was first found so.
FINISH_IF_DRAINED = """
if redis.call('ZCARD', KEYS[1]) > 0 then
  return 0
end
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[1] .. worker) == 1 then
    return 0
  end
end
redis.call('SET', KEYS[3], ARGV[2], 'NX')
return 1
"""


def new_worker_id() -> str:
    """``<hostname>-<pid>-<4 random hex>``: unique on a machine, and readable in logs."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


def beat(server: redis.Redis, keys: CrawlKeys, worker: str, seconds: int) -> bool:
    """The worker is alive for ``seconds`` more, and a member of ``workers``. True when it was
    not a member: it is joining, or it was reaped (its heartbeat had expired) and rejoins."""
    with server.pipeline(transaction=True) as pipe:
        pipe.set(keys.heartbeat(worker), now_iso(), ex=seconds)
        pipe.sadd(keys.workers, worker)
        pipe.set(keys.started, now_iso(), nx=True)
        _, added, _ = pipe.execute()
    return bool(added)


def reap_dead_workers(server: redis.Redis, keys: CrawlKeys) -> int:
    """Put the leases of every member of ``workers`` whose heartbeat expired back into the
    frontier and remove it from ``workers`` (atomically); the number of requests requeued."""
    found = server.register_script(REAP)(keys=[keys.requests, keys.workers],
                                         args=[keys.heartbeat(""), keys.leases("")])
    requeued = 0
    for worker, count in zip(found[::2], found[1::2]):
        logger.warning("fleet worker %s stopped beating: %d of its requests are back in the frontier",
                       worker.decode(), count)
        requeued += count
    return requeued


def requeue_leases(server: redis.Redis, keys: CrawlKeys, worker: str) -> int:
    """Put every lease of ``worker`` back into the frontier (atomically); how many."""
    return server.register_script(REQUEUE_OWN)(keys=[keys.requests, keys.leases(worker)])


def leave(server: redis.Redis, keys: CrawlKeys, worker: str) -> int:
    """The worker stops: its leases go back into the frontier, it leaves ``workers`` and its
    heartbeat is deleted, atomically; the number of requests requeued."""
    return server.register_script(LEAVE)(
        keys=[keys.requests, keys.leases(worker), keys.workers, keys.heartbeat(worker)], args=[worker])


def finish_if_drained(server: redis.Redis, keys: CrawlKeys) -> bool:
    """Whether the crawl is over: the frontier is empty and no worker holds a lease. Then
    ``done`` is set (atomically with the check), so late workers exit at once."""
    script = server.register_script(FINISH_IF_DRAINED)
    return bool(script(keys=[keys.requests, keys.workers, keys.done], args=[keys.leases(""), now_iso()]))


def is_finished(server: redis.Redis, keys: CrawlKeys) -> bool:
    return bool(server.exists(keys.done))
