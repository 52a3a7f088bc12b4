"""The ``excelflow`` auth provider: bearer tokens issued by ``excelflow serve token add``."""

from excelflow.server.auth import validate_token

__all__ = ["validate_token"]
