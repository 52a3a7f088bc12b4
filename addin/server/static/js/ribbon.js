// ExcelFlow's ribbon: each ExecuteFunction of templates/manifest.xml runs one script of
// custom_scripts with the token from auth.js. Replaces xlwings Server's sample ribbon.js.
function excelflowRibbon(scriptName) {
  return async function (event) {
    try {
      const auth =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      await xlwings.runPython({
        auth: auth.token,
        scriptName: scriptName,
        headers: { "Auth-Provider": auth.provider },
      });
    } finally {
      event.completed();
    }
  };
}
Office.actions.associate("validate-pipeline", excelflowRibbon("validate_pipeline"));
Office.actions.associate("grade-deals", excelflowRibbon("grade_deals"));
Office.actions.associate("refresh-dashboard", excelflowRibbon("refresh_dashboard"));
Office.actions.associate("bid-analysis", excelflowRibbon("bid_analysis"));
Office.actions.associate("insert-template-sheets", excelflowRibbon("insert_template_sheets"));
