"""``scrapy shell`` for swampcrawl: Scrapy's shell, archiving and storing nothing.

A shell session fetches pages to look at them, from a thread of its own: it is no crawl,
so it writes no WARC records and leaves no ``crawl_runs`` row behind.
"""

from scrapy.commands.shell import Command as ScrapyShell


class Command(ScrapyShell):
    default_settings = {**ScrapyShell.default_settings, "SWAMPCRAWL_INTERACTIVE": True}
