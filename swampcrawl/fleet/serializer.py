"""JSON for the requests of the shared frontier: scrapy-redis's ``SCHEDULER_SERIALIZER``.

scrapy-redis pickles requests by default, so whoever can write to Redis can run code in every
worker. Here a request (``Request.to_dict``) becomes JSON text, and reading it back builds only
plain values: JSON's own, and a few types tagged explicitly, each a one-key object:

- ``{"$bytes": "<base64>"}``: bodies, header names and values;
- ``{"$tuple": [...]}``, ``{"$set": [...]}``, ``{"$frozenset": [...]}``;
- ``{"$datetime": "<ISO 8601>"}``; ``{"$warcref": {...}}``: where a response was archived
  (``request.meta["warc"]``, carried by a retry or a redirect as in a single crawl);
- ``{"$dict": [[key, value], ...]}``: a dict whose keys are not all strings (headers), or
  that has a key starting with ``$`` (so no plain dict is ever mistaken for a tag).

Anything else raises TypeError when the request is queued: better than a request that comes
back different. A request's class (``_class``) must be one of Scrapy's own request classes,
checked by name before anything is imported.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from swampcrawl.records.provenance import WarcRef

# The request classes a queued request may name (Request.to_dict adds "_class" for subclasses).
REQUEST_CLASSES = frozenset({
    "scrapy.http.request.Request",
    "scrapy.http.request.form.FormRequest",
    "scrapy.http.request.json_request.JsonRequest",
    "scrapy.http.request.rpc.XmlRpcRequest",
})


def dumps(obj: Any) -> str:
    """JSON text of a request dict (or any value made of the types above)."""
    return json.dumps(_encode(obj), separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    """The value ``dumps`` wrote; a ``_class`` outside REQUEST_CLASSES is a ValueError."""
    obj = json.loads(text, object_hook=_decode)
    if isinstance(obj, dict) and "_class" in obj and obj["_class"] not in REQUEST_CLASSES:
        raise ValueError(f"refusing a queued request of class {obj['_class']!r}: not a Scrapy request class")
    return obj


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item) for key, item in value.items()}
        return {"$dict": [[_encode(key), _encode(item)] for key, item in value.items()]}
    return _encode_tagged(value)


def _encode_tagged(value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item) for item in value]}
    if isinstance(value, (set, frozenset)):
        tag = "$frozenset" if isinstance(value, frozenset) else "$set"
        return {tag: [_encode(item) for item in value]}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, WarcRef):
        return {"$warcref": _encode(asdict(value))}
    raise TypeError(f"cannot queue a {type(value).__name__} in Redis as JSON: {value!r:.100}")


# Tag -> how to read its value back (the value's own tags were read already: object_hook
# works from the innermost object out).
_TAGS = {
    "$bytes": lambda value: base64.b64decode(value, validate=True),
    "$tuple": tuple,
    "$set": set,
    "$frozenset": frozenset,
    "$datetime": datetime.fromisoformat,
    "$warcref": lambda value: WarcRef(**value),
    "$dict": dict,
}


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag in _TAGS:
            return _TAGS[tag](value)
    return obj
