"""Watching calls: credits and token tallies with budgets, the transport's per-call hooks,
and OpenTelemetry GenAI spans and metrics."""
