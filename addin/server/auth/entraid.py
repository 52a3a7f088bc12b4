"""The ``entraid`` auth provider: xlwings Server's Entra ID token validation, and the signed-in
user (UPN) named for the history's snapshots and the task pane's changes."""

from excelflow.server.auth import validate_entraid_token as validate_token

__all__ = ["validate_token"]
