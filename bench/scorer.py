"""The volunteer scorer's pages, big village against tiny village (issue 15), wired into bench.run.

"As fast in year three as on day one": each page is fetched by a scorer of the big village V001
(1,000 residents, two years of ledger, over a thousand entries of their own) and, interleaved, by
the scorer of the tiny village VT (ten residents, a handful of entries); the ratio of the medians
is the page's growth with the ledger, goal ≤ 2. The item picker is also timed against the bare
SELECT floor of bench.run, goal ≤ 3. Query counts are shown for both villages: equal counts mean
the page's queries do not grow with the data; the times say whether each query stays flat too.
"""

from collections.abc import Callable

GROWTH_GOAL = 2.0
PICKER_GOAL = 3.0


# short name → (what the table says, URL name, query string for a resident of the village, htmx?)
PAGES = {
    "scorer_record": ("record page (recent residents)", "points:record", lambda resident: {}, False),
    # The first letter of a resident's initials: a query with matches in both villages (with 'l', the
    # tiny village had none, and a page of matches against an empty answer is not growth).
    "scorer_search": (
        "resident search partial (q=an initial)",
        "points:record_residents",
        lambda resident: {"q": resident.name_initials[:1]},
        True,
    ),
    "scorer_most_used": (
        "record page with a resident (most used)",
        "points:record",
        lambda resident: {"resident": resident.pk},
        False,
    ),
    "scorer_items": (
        "item picker partial (iq='1')",
        "points:record_items",
        lambda resident: {"resident": resident.pk, "iq": "1"},
        True,
    ),
    "scorer_my_entries": ("my entries (all)", "points:my_entries", lambda resident: {"when": "all"}, False),
    "scorer_snapshot": ("offline snapshot", "points:offline_data", lambda resident: {}, False),
}


def _fetcher(short: str) -> Callable:
    def fetch(client, resident) -> None:
        from django.urls import reverse

        from bench.run import expect

        _name, url_name, params, htmx = PAGES[short]
        headers = {"HX-Request": "true"} if htmx else {}
        expect(client.get(reverse(url_name), params(resident), headers=headers), 200)

    return fetch


def _growth(name: str, fetch: Callable) -> Callable:
    def measure(county, n: int):
        from bench.run import Measurement, count_queries, interleaved

        big, tiny = county.client(county.scorers[0]), county.client(county.tiny_scorer)
        resident = county.residents[0]
        fetch(big, resident)
        fetch(tiny, county.tiny_resident)
        big_times, tiny_times = interleaved(
            lambda i: fetch(big, resident), lambda i: fetch(tiny, county.tiny_resident), n
        )
        return Measurement(
            name=f"scorer: {name}",
            unit="request",
            times=big_times,
            floor_name="the same page in the tiny village VT",
            floor_times=tiny_times,
            queries=count_queries(lambda: fetch(big, resident)),
            queries_small=count_queries(lambda: fetch(tiny, county.tiny_resident)),
            goal=GROWTH_GOAL,
        )

    return measure


def measure_item_picker_floor(county, n: int):
    """The item picker partial against the bare view doing one SELECT by primary key."""
    from bench.run import _page_against_floor

    fetch = _fetcher("scorer_items")
    client = county.client(county.scorers[0])
    return _page_against_floor(
        county,
        n,
        client=client,
        get=lambda: fetch(client, county.residents[0]),
        get_small=lambda: fetch(county.client(county.tiny_scorer), county.tiny_resident),
        name="scorer: item picker partial vs floor",
        goal=PICKER_GOAL,
    )


MEASUREMENTS = {short: _growth(name, _fetcher(short)) for short, (name, *_rest) in PAGES.items()}
MEASUREMENTS["scorer_items_floor"] = measure_item_picker_floor
