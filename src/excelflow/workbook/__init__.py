"""Files on disk: writing workbooks with openpyxl, safe (atomic) writes, what a round trip loses,
formula caches, generated samples."""
