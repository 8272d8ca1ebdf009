"""The on-disk set behind a crawl's seen URLs and request fingerprints."""

from __future__ import annotations

from swampcrawl.diskset import DiskSet


def test_add_says_whether_a_key_is_new_and_membership_holds():
    seen = DiskSet()
    try:
        assert seen.add("https://vocal.media/a") is True
        assert seen.add("https://vocal.media/a") is False
        assert seen.add(b"\x00fingerprint") is True
        assert "https://vocal.media/a" in seen and b"\x00fingerprint" in seen
        assert "https://vocal.media/b" not in seen
        assert len(seen) == 2
    finally:
        seen.close()


def test_many_keys_stay_distinct():
    seen = DiskSet()
    try:
        keys = [f"https://vocal.media/fiction/story-{number}" for number in range(20_000)]
        assert all(seen.add(key) for key in keys)
        assert not any(seen.add(key) for key in keys[::7])
        assert len(seen) == len(keys)
    finally:
        seen.close()
