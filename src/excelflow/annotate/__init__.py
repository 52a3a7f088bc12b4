"""The annotated copy: result columns per deal, the Findings and Dashboard sheets, as plain data."""
