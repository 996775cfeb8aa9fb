"""Helpers shared by the whole suite (fixtures live in the conftest.py files).

A module of its own: every test folder has a `conftest.py`, so `from conftest import ...`
would be ambiguous.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON file from tests/fixtures (seed responses are under seeds/)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class OTel:
    """In-memory OpenTelemetry: the spans and metric points the core recorded."""

    def __init__(self) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def spans(self) -> list[Any]:
        """Finished spans, oldest first."""
        return list(self.exporter.get_finished_spans())

    def metrics(self) -> dict[str, list[Any]]:
        """Histogram data points by metric name."""
        found: dict[str, list[Any]] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found


def mock_transport(handler: Any) -> Any:
    """`httpx.MockTransport(handler)` for the suite: a `ValidatingTransport`, so every chat body
    a unit test sends is held to AIML's spec (tests/spec_conformance). `handler` answers even
    invalid bodies (`validate=False`): the plugin fails the test instead, unless it is marked."""
    from ernie_aiml.emulator import ValidatingTransport

    return ValidatingTransport(handler, validate=False)
