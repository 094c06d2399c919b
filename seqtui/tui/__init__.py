"""The Textual dashboard and REPL. Only the CLI imports this package; the core never does."""
