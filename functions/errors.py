"""The project's own exceptions; adapters turn botocore errors into these."""


class SettingsError(RuntimeError):
    """An environment variable is missing or malformed (raised at cold start)."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class DeliveryUnavailable(RuntimeError):
    """The delivery stream did not take the record within the retry budget."""


class ArchiveUnavailable(RuntimeError):
    """The raw archive could not be written; the batch must be retried."""


class AllowListUnavailable(RuntimeError):
    """The chat allow-list store could not be read or written."""
