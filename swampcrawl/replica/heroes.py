"""Hero images: Cloudinary (``heroImage``) or Unsplash (``heroUnsplashImage``), or none."""

from __future__ import annotations

import random
from typing import Any

from swampcrawl.replica.documents import cloudinary_url, hex_id, unsplash_profile, unsplash_url
from swampcrawl.replica.vocabulary import NOUNS, UNSPLASH_PHOTOGRAPHERS


def cloudinary_hero(rng: random.Random, caption: str, alt: str | None) -> dict[str, Any]:
    public_id = hex_id(rng, rng.choice([24, 24, 20]))  # older ids are 20 characters
    return {"heroImage": {"id": hex_id(rng), "large": cloudinary_url(public_id),
                          "socialMedia": cloudinary_url(public_id, "c_fill,h_630,w_1200")},
            "heroUnsplashImage": None, "heroImageCaption": caption, "heroImageAltText": alt}


def unsplash_hero(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(UNSPLASH_PHOTOGRAPHERS)
    return {"heroImage": None,
            "heroUnsplashImage": {"publicUrl": unsplash_url(rng),
                                  "user": {"name": name, "url": unsplash_profile(name)}},
            "heroImageCaption": f"Photo by {name} on Unsplash",
            "heroImageAltText": None if rng.random() < 0.5 else f"a {rng.choice(NOUNS)}"}


def no_hero() -> dict[str, Any]:
    return {"heroImage": None, "heroUnsplashImage": None, "heroImageCaption": "",
            "heroImageAltText": None}


def random_hero(rng: random.Random) -> dict[str, Any]:
    draw = rng.random()
    if draw < 0.45:
        caption = f"A {rng.choice(NOUNS)} at dusk" if rng.random() < 0.4 else ""
        return cloudinary_hero(rng, caption, rng.choice([None, f"the {rng.choice(NOUNS)}"]))
    if draw < 0.8:
        return unsplash_hero(rng)
    return no_hero()


def sample_hero(rng: random.Random) -> dict[str, Any]:
    """The sample page shows no caption: a Cloudinary hero without one."""
    return cloudinary_hero(rng, "", None)
