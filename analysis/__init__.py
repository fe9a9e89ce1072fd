"""Pure computation on validated responses: scoring, reliability, comparison, hypotheses.

Nothing here reads a file; every function takes an Instrument and a ResponseSet (or a
DataFrame) and returns DataFrames with the fixed columns documented in each function.
"""

__all__: list[str] = []
