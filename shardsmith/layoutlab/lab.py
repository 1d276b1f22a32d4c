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
    """Copy `namespace` (or a sample of about `sample` documents) into three layouts on the same server, measure.

    index_set: IndexSpecs (a topology index set) for every layout; None: the source's own indexes.
    queries: a YAML/JSON file of queries, a list of query mappings, or None for the default mix.
    runs: timed runs of each query on each layout; insert_documents x insert_runs: the insert test (0 runs: none).
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
    run = _LabRun(scratch, source, stats["count"], lab_index_set(source, index_set), time_field, progress)
    run.notes += _notes(scratch, disk, sample)
    try:
        run.copy(sample, meta_field, granularity)
        run.measure_sizes()
        run.measure_queries(mix, runs)
        run.measure_inserts(insert_documents, insert_runs)
        report = run.report(version, disk)
    except BaseException:
        if keep:
            progress.note(f"kept in {scratch.database.name}: {', '.join(scratch.collections()) or 'nothing'}")
        raise
    finally:
        with progress.phase("drop the scratch collections" if not keep else "drop the insert-test collections"):
            remove(scratch, INSERT_PART if keep else "")
    if keep:
        report.kept = scratch.collections()
    report.seconds = time.monotonic() - started
    return report


class _LabRun:
    """One run's state, phase by phase: copies, sizes, query mix, inserts, then the report."""

    def __init__(self, scratch: Scratch, source, source_documents: int, indexes, time_field: str, progress):
        self.scratch, self.source, self.source_documents = scratch, source, source_documents
        self.indexes, self.time_field, self.progress = indexes, time_field, progress
        self.lab, self.comment = scratch.database, scratch.comment
        self.regular = self.lab[scratch.name("regular")]
        self.timeseries = self.lab[scratch.name("timeseries")]
        self.notes = list(indexes.notes)
        self.built: dict = {}
        self.results: list = []
        self.inserts: list = []

    def copy(self, sample, meta_field, granularity) -> None:
        comment, progress, specs = self.comment, self.progress, self.indexes.specs
        head, self.drawn = sampling(sample, self.source_documents, meta_field)
        with progress.phase(f"copy {self.drawn} into {self.regular.name}"):
            self.copied = copy_regular(self.source, self.regular, head, comment)
            if not self.copied:
                raise ShardsmithError(f"the sample ({self.drawn}) holds no document", hint="give a larger --sample")
            self.built[REGULAR] = {"created": build_all(self.regular, specs, comment), "skipped": []}
        if head and not meta_field:
            self.notes.append(f"{self.drawn} thins every series to about {self.copied / self.source_documents:.0%} of "
                              "its documents, so buckets hold fewer measurements than on the whole collection: the "
                              "time-series figures are pessimistic; give --meta-field to sample whole series")
        self.sampled = list(self.regular.aggregate([{"$sample": {"size": INFERENCE_SAMPLE}}], comment=comment))
        with progress.phase("time-series options: metaField and granularity"):
            self.series = choose_series(self.regular, self.copied, self.sampled, self.time_field, meta_field,
                                        granularity, comment)
        progress.note(f"  metaField {self.series.meta_field or '(none)'}: {self.series.meta_reason}")
        progress.note(f"  granularity {self.series.granularity}: {self.series.granularity_reason}")
        with progress.phase("copy into monthly collections"):
            self.months = copy_months(self.regular, self.lab, self.scratch.prefix, self.time_field, comment)
            for name in self.months:
                build_all(self.lab[name], specs, comment)
            self.built[MONTHLY] = {"created": self.built[REGULAR]["created"], "skipped": []}
        with progress.phase(f"copy into the time-series collection {self.timeseries.name}"):
            copy_timeseries(self.regular, self.timeseries, self.series, comment)
            created, skipped = build_each(self.timeseries, specs, comment)
            self.built[TIMESERIES] = {"created": created, "skipped": skipped}

    def measure_sizes(self) -> None:
        with self.progress.phase("sizes: checkpoint, then $collStats"):
            if not checkpoint(self.lab):
                self.notes.append("fsync was refused: storage sizes are as of the last checkpoint (up to 60 s old)")
            self.sizes = {REGULAR: measure(self.lab, REGULAR, [self.regular.name], self.comment),
                          TIMESERIES: measure(self.lab, TIMESERIES, [self.timeseries.name], self.comment,
                                              timeseries=True),
                          MONTHLY: measure(self.lab, MONTHLY, self.months, self.comment)}
        counts = {name: size.documents for name, size in self.sizes.items()}
        if len(set(counts.values())) != 1:
            self.notes.append(f"the layouts hold different numbers of documents: {counts}")

    def measure_queries(self, mix, runs: int) -> None:
        mix = mix or default_queries(self.time_field, self.series.meta_field, self.sampled)
        check_time_ranges(mix, self.time_field)
        layouts = [CollectionLayout(REGULAR, self.regular, self.time_field, self.comment),
                   CollectionLayout(TIMESERIES, self.timeseries, self.time_field, self.comment),
                   MonthlyLayout(MONTHLY, self.lab, self.scratch.prefix, self.time_field, self.comment)]
        documents = parameter_documents(self.regular, mix, self.time_field, self.comment)
        self.results = measure_mix(layouts, mix, documents, self.time_field, runs, self.progress)

    def measure_inserts(self, documents: int, runs: int) -> None:
        if not runs:
            return
        size = min(documents, self.copied)
        with self.progress.phase(f"inserts: {size:,} documents x {runs} runs per layout"):
            batch = insert_batch(self.regular, size, self.time_field, self.comment)
            created = self.built[TIMESERIES]["created"]
            accepted = tuple(spec for spec in self.indexes.specs if index_name(spec) in created)
            targets = InsertTargets(self.scratch, self.series, self.indexes.specs, accepted)
            self.inserts = measure_inserts(targets, [REGULAR, TIMESERIES, MONTHLY], batch, runs)

    def report(self, version: str, disk) -> LayoutReport:
        report = LayoutReport(self.source.full_name, version, self.lab.name, self.scratch.prefix, self.drawn,
                              self.source_documents, self.copied, disk, self.series, self.indexes.origin, self.built,
                              self.sizes, self.inserts, self.results, notes=self.notes)
        report.claims = claim_lines(self.sizes, self.results, self.time_field, self.copied)
        report.recommendation = recommend(self.sizes, self.results, self.built[TIMESERIES]["skipped"], self.series,
                                          self.copied, self.time_field)
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


def _notes(scratch: Scratch, disk, sample) -> list[str]:
    notes = ["the time field was checked on every document of the source, not only the sample"] if sample else []
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
