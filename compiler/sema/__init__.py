"""Semantic analysis: types, values, coercion and the per-instruction analysis of ZIR."""
