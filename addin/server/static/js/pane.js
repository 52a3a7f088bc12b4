// ExcelFlow's task pane: run buttons and the findings list.
// Each [data-ef-script] button runs that script of custom_scripts through xlwings Server's own
// client (xlwings.runPython, as ribbon.js does) with the token from auth.js. After a run the pane
// reads the Findings table the script wrote (tblExcelFlowFindings…) through Office.js and lists its
// rows grouped by severity and code; clicking an item selects its cell. The pane's language
// follows the workbook: the Findings headers are Chinese or English.
const FINDINGS_TABLE = "tblexcelflowfindings";
// severity labels of the Findings sheet (excelflow.annotate.labels), most severe first
const SEVERITY_RANK = { 错误: 0, Error: 0, 警告: 1, Warning: 1, 提示: 2, Info: 2 };
const WORDS = {
  zh: { none: "没有问题。", noTable: "尚无问题清单：请先运行“校验”。", findings: "问题", deals: "涉及商机" },
  en: { none: "No findings.", noTable: "No Findings sheet yet: run Validate first.", findings: "findings", deals: "deals concerned" },
};

async function readFindings() {
  return Excel.run(async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    await context.sync();
    const perSheet = sheets.items.map((sheet) => ({ sheet, tables: sheet.tables.load("items/name") }));
    await context.sync();
    for (const { sheet, tables } of perSheet) {
      for (const table of tables.items) {
        if (!table.name.toLowerCase().startsWith(FINDINGS_TABLE)) continue;
        const range = table.getRange().load("values");
        await context.sync();
        return { sheet: sheet.name, values: range.values };
      }
    }
    return null;
  });
}

function group(values) {
  const [header, ...rows] = values;
  const lang = String(header[0]).trim() === "级别" ? "zh" : "en";
  const groups = new Map();
  for (const row of rows) {
    const [severity, code, deal, sheet, cell, column, , message] = row.map(String);
    if (!severity && !code) continue;
    const key = severity + "\u0000" + code;
    if (!groups.has(key)) groups.set(key, { severity, code, items: [] });
    groups.get(key).items.push({ deal, sheet, cell, column, message });
  }
  const rank = (g) => SEVERITY_RANK[g.severity] ?? 3;
  const ordered = [...groups.values()].sort((a, b) => rank(a) - rank(b)); // stable: codes keep their order
  return { lang, rows: rows.length, groups: ordered };
}

async function selectCell(sheet, cell) {
  await Excel.run(async (context) => {
    const target = context.workbook.worksheets.getItem(sheet);
    target.activate();
    target.getRange(cell).select();
    await context.sync();
  });
}

function render(found) {
  const list = document.getElementById("ef-findings");
  const summary = document.getElementById("ef-summary");
  list.replaceChildren();
  if (!found) {
    summary.textContent = WORDS.en.noTable + " · " + WORDS.zh.noTable;
    return;
  }
  const { lang, groups } = group(found.values);
  const words = WORDS[lang];
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  const items = groups.flatMap((g) => g.items);
  const deals = new Set(items.map((i) => i.deal).filter(Boolean));
  summary.textContent = items.length
    ? `${items.length} ${words.findings} · ${deals.size} ${words.deals}`
    : words.none;
  for (const g of groups) {
    const section = document.createElement("details");
    section.className = "ef-group mb-1";
    section.dataset.severity = g.severity;
    section.dataset.code = g.code;
    const head = document.createElement("summary");
    head.textContent = `${g.severity} · ${g.code} (${g.items.length})`;
    section.appendChild(head);
    const ul = document.createElement("ul");
    ul.className = "list-unstyled ms-3 small";
    for (const item of g.items) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#";
      link.className = "ef-finding";
      link.textContent = `${item.cell} ${item.deal} — ${item.message}`;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        selectCell(item.sheet, item.cell).catch((error) => console.warn(error));
      });
      li.appendChild(link);
      ul.appendChild(li);
    }
    section.appendChild(ul);
    list.appendChild(section);
  }
}

async function refresh() {
  render(await readFindings());
}

async function run(button) {
  button.disabled = true;
  try {
    const auth =
      typeof globalThis.getAuth === "function"
        ? await globalThis.getAuth()
        : { token: "", provider: "" };
    await xlwings.runPython({
      auth: auth.token,
      scriptName: button.dataset.efScript,
      headers: { "Auth-Provider": auth.provider },
      errorDisplayMode: "taskpane",
    });
    await refresh();
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-ef-script]")) {
    button.addEventListener("click", () => run(button).catch((error) => console.warn(error)));
  }
});
globalThis.excelflowPane = { refresh, group };
