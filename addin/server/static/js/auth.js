// ExcelFlow's getAuth() for xlwings' runPython and custom functions. Replaces xlwings Server's
// auth.js. With Entra ID it asks Office for a token; with ExcelFlow tokens it sends the token the
// task pane's sign-in stored in this browser (localStorage "excelflow.token").
globalThis.getAuth = async function () {
  if (config.authProviders.includes("entraid")) {
    return { token: await xlwings.getAccessToken(), provider: "entraid" };
  }
  if (config.authProviders.includes("excelflow")) {
    const token = globalThis.localStorage.getItem("excelflow.token") || "";
    return { token: token ? "Bearer " + token : "", provider: "excelflow" };
  }
  return { token: "", provider: "" };
};
