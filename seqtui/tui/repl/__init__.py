"""The REPL: the pane, its full-screen screen, its commands and transcript, and the engines it decodes with."""
