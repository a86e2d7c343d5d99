"""Lambda code: the webhook and archiver handlers and the pure logic they share."""
