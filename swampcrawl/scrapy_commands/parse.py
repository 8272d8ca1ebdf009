"""``scrapy parse`` for swampcrawl: Scrapy's parse command, archiving and storing nothing.

It shows what a spider makes of one URL; it is no crawl, so it writes no WARC records and
leaves no ``crawl_runs`` row behind (``--pipelines`` runs the others).
"""

from scrapy.commands.parse import Command as ScrapyParse


class Command(ScrapyParse):
    default_settings = {**ScrapyParse.default_settings, "SWAMPCRAWL_INTERACTIVE": True}
