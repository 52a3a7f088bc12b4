// Stands in for office.js in the task pane test: Office + Excel built on office-addin-mock's
// OfficeMockObject (Microsoft's Office.js mock), loaded in the browser through a tiny CommonJS
// shim. The test fills in __EF_SHEETS__ (sheet name -> {table, values}) before serving this file.
(function () {
  const sources = __EF_MOCK_SOURCES__; // module name -> CommonJS source of office-addin-mock/lib
  const cache = {
    "office-addin-manifest": { OfficeApp: { Excel: "excel", Outlook: "outlook", Word: "word" } },
  };
  function require(name) {
    const key = name.replace(/^\.\//, "");
    if (cache[key]) return cache[key];
    const module = { exports: {} };
    cache[key] = module.exports;
    new Function("exports", "require", "module", sources[key])(module.exports, require, module);
    cache[key] = module.exports;
    return module.exports;
  }
  const { OfficeMockObject } = require("officeMockObject");
  const sheets = __EF_SHEETS__;
  const names = Object.keys(sheets);
  // The whole workbook is one mock tree, so the context's sync() loads what was asked for.
  const data = { workbook: { worksheets: {} } };
  names.forEach((name, i) => {
    data.workbook.worksheets["s" + i] = {
      name: name,
      tables: { t0: { name: sheets[name].table, range: { values: sheets[name].values } } },
    };
  });
  const context = new OfficeMockObject(data, "excel");
  const worksheets = context.workbook.worksheets;
  const log = { selected: [], activated: [] };
  const sheetMocks = names.map((name, i) => {
    const sheet = worksheets["s" + i];
    const table = sheet.tables.t0;
    table.name = sheets[name].table; // collection loads ("items/name") are not modelled by the mock
    table.getRange = () => table.range;
    sheet.tables.items = [table];
    sheet.tables.load = () => sheet.tables;
    sheet.name = name;
    sheet.activate = () => log.activated.push(name);
    sheet.getRange = (address) => ({ select: () => log.selected.push(name + "!" + address) });
    return sheet;
  });
  worksheets.items = sheetMocks;
  worksheets.load = () => worksheets;
  // Any other sheet (the deals sheet a finding points at) only records activate/select.
  worksheets.getItem = (name) =>
    sheetMocks[names.indexOf(name)] || {
      activate: () => log.activated.push(name),
      getRange: (address) => ({ select: () => log.selected.push(name + "!" + address) }),
    };
  globalThis.efMockLog = log;
  // office.js defines CustomFunctions too; the served custom-functions code registers ours on it.
  globalThis.CustomFunctions = { associate: (id) => (log.functions = log.functions || []).push(id) };
  globalThis.Excel = { run: async (callback) => callback(context) };
  globalThis.Office = {
    onReady: async () => ({ host: "Excel", platform: "OfficeOnline" }),
    context: { requirements: { isSetSupported: () => true }, displayLanguage: "zh-CN" },
    actions: { associate: () => {} },
    HostType: { Excel: "Excel" },
  };
})();
