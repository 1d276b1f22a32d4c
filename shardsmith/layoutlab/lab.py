"""run_layout_lab: the same sample in a regular, a time-series and monthly collections, measured side by side.

    report = run_layout_lab(client, "claudelens.messages", sample=100_000, progress=Progress())
    print_layout_report(report, console)      # or report.as_dict() for --json

In order: refusals (server < 5.0, documents without a date in the time field,
not enough disk: nothing is copied), the three copies with the same index set,
the time-series options (given or read from the copy, with the reason), a
checkpoint and $collStats for the sizes, the query mix on each layout, the
insert batch on fresh copies of each, and the verdict on the design notes'
claims. The scratch collections are dropped at the end, also on Ctrl-C or an
error, unless `keep`; the source is only ever read.
"""

from __future__ import annotations

import time
from pathlib import Path

from pymongo.errors import PyMongoError

from ..errors import ShardsmithError
from ..keylab.queries import check_unique_names
from ..progress import QUIET, Progress
from .copy import copy_months, copy_regular, copy_timeseries, sampling
from .indexes import build_all, build_each, index_name, lab_index_set
from .inserts import InsertTargets, insert_batch, measure_inserts
from .latency import measure_mix, parameter_documents
from .layouts import MONTHLY, REGULAR, TIMESERIES, CollectionLayout, MonthlyLayout
from .preflight import check_disk, check_meta_field, check_server, check_time_field, source_stats
from .queries import LabQuery, check_time_ranges, default_queries, load_queries, parse_lab_query
from .report import LayoutReport
from .scratch import INSERT_PART, LAB_DATABASE, Scratch, earlier_runs, remove
from .series import check_granularity, choose_series
from .sizes import checkpoint, measure
from .verdict import claim_lines, recommend

RUNS = 20
INSERT_BATCH = 10_000
INSERT_RUNS = 3
INFERENCE_SAMPLE = 1000


def run_layout_lab(client, namespace: str, *, sample: int | None = None, time_field: str = "timestamp",
                   meta_field: str | None = None, granularity: str | None = None, index_set=None, queries=None,
                   keep: bool = False, runs: int = RUNS, insert_documents: int = INSERT_BATCH,
                   insert_runs: int = INSERT_RUNS, lab_database: str = LAB_DATABASE,
                   progress: Progress = QUIET) -> LayoutReport:
    """Copy `namespace` (or a $sample of `sample` documents) into three layouts on the same server and measure.

    index_set: IndexSpecs (a topology index set) for every layout; None: the source's own indexes.
    queries: a YAML/JSON file of queries, a list of query mappings, or None for the default mix.
    """
    started = time.monotonic()
    source = _source(client, namespace)
    _check_arguments(sample, time_field, runs, insert_documents, insert_runs)
    check_granularity(granularity)
    mix = _mix(queries)
    scratch = Scratch.new(client[lab_database])
    with progress.phase("refusal checks: server version, time field, disk"):
        version = check_server(client)
        stats = source_stats(source)
        check_time_field(source, time_field, stats["count"], scratch.comment)
        if meta_field:
            check_meta_field(source, meta_field, scratch.comment)
        disk = check_disk(client, source, stats, sample)
    indexes = lab_index_set(source, index_set)
    notes = list(indexes.notes) + _notes(scratch, disk)
    report = None
    try:
        report = _measure(scratch, source, version, stats["count"], disk, indexes, notes, sample=sample,
                          time_field=time_field, meta_field=meta_field, granularity=granularity, mix=mix, runs=runs,
                          insert_documents=insert_documents, insert_runs=insert_runs, progress=progress)
    finally:
        with progress.phase("drop the scratch collections" if not keep else "drop the insert-test collections"):
            remove(scratch, INSERT_PART if keep else "")
    if keep:
        report.kept = scratch.collections()
    report.seconds = time.monotonic() - started
    return report


def _measure(scratch: Scratch, source, version, source_documents, disk, indexes, notes, *, sample, time_field,
             meta_field, granularity, mix, runs, insert_documents, insert_runs, progress) -> LayoutReport:
    lab, comment = scratch.database, scratch.comment
    regular = lab[scratch.name("regular")]
    head, drawn = sampling(sample, source_documents, meta_field)
    with progress.phase(f"copy {drawn} into {regular.name}"):
        copied = copy_regular(source, regular, head, comment)
        built = {REGULAR: {"created": build_all(regular, indexes.specs, comment), "skipped": []}}
    sampled = list(regular.aggregate([{"$sample": {"size": INFERENCE_SAMPLE}}], comment=comment))
    with progress.phase("time-series options: metaField and granularity"):
        series = choose_series(regular, copied, sampled, time_field, meta_field, granularity, comment)
    progress.note(f"  metaField {series.meta_field or '(none)'}: {series.meta_reason}")
    progress.note(f"  granularity {series.granularity}: {series.granularity_reason}")
    with progress.phase("copy into monthly collections"):
        months = copy_months(regular, lab, scratch.prefix, time_field, comment)
        for name in months:
            build_all(lab[name], indexes.specs, comment)
        built[MONTHLY] = {"created": built[REGULAR]["created"], "skipped": []}
    timeseries = lab[scratch.name("timeseries")]
    with progress.phase(f"copy into the time-series collection {timeseries.name}"):
        copy_timeseries(regular, timeseries, series, comment)
        created, skipped = build_each(timeseries, indexes.specs, comment)
        built[TIMESERIES] = {"created": created, "skipped": skipped}
    with progress.phase("sizes: checkpoint, then $collStats"):
        if not checkpoint(lab):
            notes.append("fsync was refused: storage sizes are as of the last checkpoint (up to 60 s old)")
        sizes = {REGULAR: measure(lab, REGULAR, [regular.name], comment),
                 TIMESERIES: measure(lab, TIMESERIES, [timeseries.name], comment, timeseries=True),
                 MONTHLY: measure(lab, MONTHLY, months, comment)}
    counts = {name: size.documents for name, size in sizes.items()}
    if len(set(counts.values())) != 1:
        notes.append(f"the layouts hold different numbers of documents: {counts}")
    mix = mix or default_queries(time_field, series.meta_field, sampled)
    check_time_ranges(mix, time_field)
    layouts = [CollectionLayout(REGULAR, regular, time_field, comment),
               CollectionLayout(TIMESERIES, timeseries, time_field, comment),
               MonthlyLayout(MONTHLY, lab, scratch.prefix, time_field, comment)]
    results = measure_mix(layouts, mix, parameter_documents(regular, mix, time_field, comment), time_field, runs,
                          progress)
    inserts = []
    if insert_runs:
        with progress.phase(f"inserts: {min(insert_documents, copied):,} documents x {insert_runs} runs per layout"):
            batch = insert_batch(regular, min(insert_documents, copied), time_field, comment)
            accepted = tuple(spec for spec in indexes.specs if index_name(spec) in created)
            targets = InsertTargets(scratch, series, indexes.specs, accepted)
            inserts = measure_inserts(targets, [REGULAR, TIMESERIES, MONTHLY], batch, insert_runs)
    if head and not meta_field:
        notes.append(f"{drawn} thins every series to about {copied / source_documents:.0%} of its documents, so "
                     "buckets hold fewer measurements than on the whole collection: the time-series figures are "
                     "pessimistic; give --meta-field to sample whole series")
    report = LayoutReport(source.full_name, version, lab.name, scratch.prefix, drawn, source_documents, copied, disk,
                          series, indexes.origin, built, sizes, inserts, results, notes=notes)
    report.claims = claim_lines(sizes, results, time_field, copied)
    report.recommendation = recommend(sizes, results, skipped, series, copied, time_field)
    return report


def _source(client, namespace: str):
    db, dot, coll = (namespace or "").partition(".")
    if not (db and dot and coll):
        raise ShardsmithError(f"--collection is {namespace!r}", hint="name it as DB.COLL, e.g. --collection app.messages")
    return client[db][coll]


def _check_arguments(sample, time_field, runs, insert_documents, insert_runs) -> None:
    def whole(value, least: int) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= least

    if sample is not None and not whole(sample, 1):
        raise ShardsmithError(f"--sample is {sample!r}", hint="give a positive number of documents, or leave it out")
    if not isinstance(time_field, str) or not time_field:
        raise ShardsmithError(f"--time-field is {time_field!r}", hint="name the field holding each document's date")
    if not whole(runs, 1) or not whole(insert_documents, 1) or not whole(insert_runs, 0):
        raise ShardsmithError(f"runs {runs!r}, insert documents {insert_documents!r}, insert runs {insert_runs!r}",
                              hint="runs and insert documents are whole numbers >= 1, insert runs >= 0")


def _mix(queries) -> list[LabQuery] | None:
    if queries is None:
        return None
    if isinstance(queries, (str, Path)):
        return load_queries(queries)
    parsed = [q if isinstance(q, LabQuery) else parse_lab_query(q, f"queries[{i}]") for i, q in enumerate(queries)]
    if not parsed:
        raise ShardsmithError("the query mix is empty", hint="leave queries out for the default mix")
    check_unique_names([q.name for q in parsed])
    return parsed


def _notes(scratch: Scratch, disk) -> list[str]:
    notes = ["the time field was checked on every document of the source, not only the sample"]
    if disk.free is None:
        notes.append("the server does not report its free disk space: the disk check was skipped")
    try:
        left = earlier_runs(scratch.database)
    except PyMongoError:
        left = []
    if left:
        notes.append(f"{len(left)} collections of earlier lab runs are in {scratch.database.name} "
                     f"(e.g. {left[0]}): drop them when no run is using them")
    return notes
