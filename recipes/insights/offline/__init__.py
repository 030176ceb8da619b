"""The offline synthesiser: phrase extraction and clustering, a sentiment lexicon and quality
heuristics, deterministic and free, so the product works with no Anthropic account."""
