"""Scrapy commands of the project (COMMANDS_MODULE): ``crawl`` with checks; ``shell`` and
``parse`` that archive and store nothing."""
