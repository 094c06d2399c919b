"""Reading pairs: the corpus, the vocabulary, batches by length, corpus statistics, fetching."""
