"""Insights: interview results, their synthesis into themes, sentiment, quotes and quality, and
findings per trigger (a theme in a set share of the interviews one recipe fired)."""
