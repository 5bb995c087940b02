"""What boards read beyond a single stage: the charter view, summaries, the portfolio index."""
