//! The care binary: serve the whole stack in one process, replay webhooks, mint local tokens.
