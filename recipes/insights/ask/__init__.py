"""Asking the research a question: retrieval in the database, answers built only from cited quotes."""
