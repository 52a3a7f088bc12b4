"""``excelflow serve``: the glue between ExcelFlow and xlwings Server.

The xlwings Server *project* (functions, scripts, manifest, ribbon, icons) is the folder
``addin/server/`` (shipped in the wheel as ``excelflow/server/project``); this package holds what
that project and the command need: the bearer-token store (:mod:`.tokens`), the auth provider
xlwings Server calls (:mod:`.auth`), the local development CA (:mod:`.devcert`), the ASGI app
with its request limits (:mod:`.app`) and how the server is launched (:mod:`.launch`).

Only :mod:`.auth` and :mod:`.app` import xlwings Server (the optional extra ``server``).
"""
