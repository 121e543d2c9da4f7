"""Performance benchmarks (`make bench`); results with machine and date go to docs/BENCHMARKS.md.

Goals are checked here and reported, never asserted in the test suite: timings on a shared
machine are not a test outcome. Comparisons are ratios measured in the same run.
"""
