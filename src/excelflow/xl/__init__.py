"""The Excel layer: xlwings UDFs and ribbon scripts over the one engine."""
