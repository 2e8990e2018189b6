"""Benchmarks of legithealth-async: ``make bench`` (or ``python -m benchmarks [--quick]``).

Every figure is a ratio against a baseline measured in the same run (medians of several
repetitions): the machines are shared and noisy, so absolute numbers mean little on their own.
"""
