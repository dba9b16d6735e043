"""`make bench`: throughput, latency and cost of Entitle's flows beside the limits of its parts."""
