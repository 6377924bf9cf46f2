"""Tools beside the product: synthetic data with ground truth for tests, the demo and benchmarks.

Nothing in ``rollcall``, ``services`` or ``gateway`` imports this package.
"""
