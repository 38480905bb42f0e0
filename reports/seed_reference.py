"""The seed README's published figures, as data, for the side-by-side tables of `seed` runs.

Source: account-client-examples-README.md, "Performance Benchmarks" and
"Performance Optimizations". Values are in ms (latency) and req/s.
"""

from __future__ import annotations

from types import MappingProxyType

from workload.operations import OPERATIONS

#: operation -> (avg, p50, p95, p99) in ms: the "Single Request Latency" table, kept with
#: each operation in the registry
LATENCY_MS = MappingProxyType(
    {name: op.seed.as_tuple() for name, op in OPERATIONS.items() if op.seed is not None}
)

#: concurrency -> (pattern, req/s, the seed's note); 100 stands for "100+ workers"
THROUGHPUT_RPS = MappingProxyType(
    {
        1: ("Sequential (blocking)", 50.0, "Not recommended"),
        10: ("Parallel (10 workers)", 400.0, "Good for batch ops"),
        50: ("Parallel (50 workers)", 800.0, "Near optimal"),
        100: ("Parallel (100+ workers)", 900.0, "Diminishing returns"),
    }
)

#: connection pooling: first request ~50 ms, pooled ~15 ms, "3.3x faster"
POOLING_FIRST_MS = 50.0
POOLING_POOLED_MS = 15.0
POOLING_SPEEDUP = 3.3

#: 100 requests: sequential 2 s, asyncio.gather 0.2 s, "10x improvement"
BATCH_SEQUENTIAL_S = 2.0
BATCH_GATHER_S = 0.2
BATCH_SPEEDUP = 10.0
