Attribute VB_Name = "ExcelFlow"
' Ribbon callbacks of the classic desktop add-in (ExcelFlow.xlam). Kept as text here (CRLF line
' endings, as the VBA editor's File > Import File expects) and imported into the .xlam: each button
' runs the same Python script as xlwings Server and Lite through xlwings' RunPython (the script
' finds the workbook itself with xw.Book.caller()).
Option Explicit

Public Sub EF_ValidatePipeline(control As IRibbonControl)
    RunPython "import excelflow.xl.macros as m; m.validate_pipeline()"
End Sub

Public Sub EF_GradeDeals(control As IRibbonControl)
    RunPython "import excelflow.xl.macros as m; m.grade_deals()"
End Sub

Public Sub EF_RefreshDashboard(control As IRibbonControl)
    RunPython "import excelflow.xl.macros as m; m.refresh_dashboard()"
End Sub

Public Sub EF_BidAnalysis(control As IRibbonControl)
    RunPython "import excelflow.xl.macros as m; m.bid_analysis()"
End Sub

Public Sub EF_InsertTemplate(control As IRibbonControl)
    RunPython "import excelflow.xl.macros as m; m.insert_template_sheets()"
End Sub
