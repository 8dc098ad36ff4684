"""The event index: tables, the sync loop and its handlers, and the index reader."""
