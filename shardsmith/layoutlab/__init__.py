"""The layout lab: which layout for this data, regular, time-series or monthly collections, measured on a copy.

    from shardsmith.layoutlab import run_layout_lab, print_layout_report
    report = run_layout_lab(client, "claudelens.messages", sample=100_000)
    report.as_dict()                            # JSON-ready
    print_layout_report(report, Console())      # rich tables, claim lines, recommendation

`write_layout_chart(report, "layouts.png")` draws the sizes and latencies;
`topology_index_set(topology, "messages-standard")` gives an index set for `index_set=`.
"""

from .chart import chart_path, write_layout_chart
from .indexes import topology_index_set
from .lab import run_layout_lab
from .queries import LabQuery, load_queries, parse_lab_query
from .report import LayoutReport, print_layout_report

__all__ = ["LabQuery", "LayoutReport", "chart_path", "load_queries", "parse_lab_query", "print_layout_report", "run_layout_lab",
           "topology_index_set", "write_layout_chart"]
