Attribute VB_Name = "ExcelFlow"
' Ribbon callbacks of the classic desktop add-in (ExcelFlow.xlam). Kept as text here and imported
' into the .xlam: each button runs the same Python script as xlwings Server and Lite, through the
' xlwings add-in's RunPython (the script finds the workbook itself with xw.Book.caller()).
Option Explicit

Private Sub RunScript(ByVal name As String)
    RunPython "import excelflow.xl.macros as m; m." & name & "()"
End Sub

Public Sub EF_ValidatePipeline(control As IRibbonControl)
    RunScript "validate_pipeline"
End Sub

Public Sub EF_GradeDeals(control As IRibbonControl)
    RunScript "grade_deals"
End Sub

Public Sub EF_RefreshDashboard(control As IRibbonControl)
    RunScript "refresh_dashboard"
End Sub

Public Sub EF_BidAnalysis(control As IRibbonControl)
    RunScript "bid_analysis"
End Sub

Public Sub EF_InsertTemplate(control As IRibbonControl)
    RunScript "insert_template_sheets"
End Sub
