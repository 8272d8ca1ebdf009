"""Two Datasette facet types that Datasette 0.65 lacks, registered by ``swampcrawl datasette``.

``year``: counts rows per year of an ISO time column (``{"year": "published_at"}``); a value
filters with ``published_at__startswith=2024``. Datasette's own ``date`` facet counts days.

``through``: counts rows per value of a many-to-many table that points at this one
(``{"through": {"table": "story_tags", "column": "tag_slug"}}``: stories per tag); a value
filters with Datasette's own ``?_through=`` (the same JSON plus ``"value"``), and is labelled
like a foreign key (a tag's name).

Plain ``datasette -m metadata.json``, without this plugin, ignores both facet types. Imported
only when Datasette is installed.
"""

from __future__ import annotations

import json
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.views.base import DatasetteError


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [YearFacet, ThroughFacet]


class _CountingFacet(Facet):
    """A facet whose configs each give one ``select value, count ...`` query."""

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        size = self.get_facet_size()
        for config in self.get_configs():
            name, sql = await self.counting_sql(config["config"], size + 1)
            try:
                rows = (await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))).rows
            except QueryInterrupted:
                timed_out.append(name)
                continue
            results.append({
                "name": name, "type": self.type, "results": await self.entries(config["config"], rows[:size]),
                "hideable": config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}"})),
                "truncated": len(rows) > size,
            })
        return results, timed_out

    def entry(self, value: Any, label: Any, count: int, arg: tuple[str, str], selected: bool) -> dict[str, Any]:
        change = path_with_removed_args if selected else path_with_added_args
        toggle = change(self.request, {arg[0]: arg[1]})
        return {"value": value, "label": label, "count": count, "selected": selected,
                "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle))}


class YearFacet(_CountingFacet):
    type = "year"

    async def counting_sql(self, config: dict[str, str], limit: int) -> tuple[str, str]:
        column = config.get("column") or config["simple"]
        col = escape_sqlite(column)
        return column, (
            f"select substr({col}, 1, 4) as value, count(*) as count from ({self.sql}) "
            f"where {col} glob '[0-9][0-9][0-9][0-9]*' group by value order by value desc limit {limit}")

    async def entries(self, config: dict[str, str], rows: list[Any]) -> list[dict[str, Any]]:
        column = config.get("column") or config["simple"]
        pairs = self.get_querystring_pairs()
        args = [(f"{column}__startswith", str(row["value"])) for row in rows]
        return [self.entry(row["value"], row["value"], row["count"], arg, arg in pairs) for row, arg in zip(rows, args)]


class ThroughFacet(_CountingFacet):
    type = "through"

    async def counting_sql(self, config: dict[str, str], limit: int) -> tuple[str, str]:
        through, column = config["table"], config["column"]
        keys = await self.ds.get_database(self.database).foreign_keys_for_table(through)
        link = next((fk for fk in keys if fk["other_table"] == self.table), None)
        if link is None:
            raise DatasetteError(f"through facet: {through} has no foreign key to {self.table}")
        return column, (
            f"select t.{escape_sqlite(column)} as value, count(*) as count "
            f"from {escape_sqlite(through)} t where t.{escape_sqlite(link['column'])} in "
            f"(select {escape_sqlite(link['other_column'])} from ({self.sql})) "
            f"group by value order by count desc, value limit {limit}")

    async def entries(self, config: dict[str, str], rows: list[Any]) -> list[dict[str, Any]]:
        through, column = config["table"], config["column"]
        labels = await self.ds.expand_foreign_keys(self.database, through, column, [row["value"] for row in rows])
        chosen = {_json(raw): raw for raw in self.request.args.getlist("_through")}
        found = []
        for row in rows:
            wanted = json.dumps({"table": through, "column": column, "value": row["value"]})
            raw = chosen.get(_json(wanted))
            label = labels.get((column, row["value"]), row["value"])
            found.append(self.entry(row["value"], label, row["count"], ("_through", raw or wanted), raw is not None))
        return found


def _json(text: str) -> str | None:
    """``text`` as JSON in one spelling, so that two spellings of a ``_through`` compare equal."""
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return None
