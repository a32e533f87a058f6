"""The dashboard's screens and dialogs, one module each."""
