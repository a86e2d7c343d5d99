"""The embedded stand-ins for the AWS parts: HTTP API, delivery stream, object store, Athena."""
