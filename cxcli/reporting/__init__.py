"""`cx report`, the nightly report: its config, the run that computes and judges every KPI
(targets, benchmarks, history, the CX index), and its views — the terminal summary, Markdown,
and the HTML page with its charts."""
