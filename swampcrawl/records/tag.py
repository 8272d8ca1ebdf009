"""A tag as a story shows it: ``{"slug": "politics", "name": "politics"}``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Tag(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: str
    name: str
