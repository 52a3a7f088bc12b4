// ExcelFlow's task pane: run buttons, the run's summary and the findings list.
// Each [data-ef-script] button runs that script of custom_scripts through xlwings Server's own
// client (xlwings.runPython, as ribbon.js does) with the token from auth.js and the argument
// report="pane". The script then queues one runMacro action calling excelflowPaneReport (registered
// below with xlwings.registerCallback) with a JSON summary of the run (excelflow/xl/pane.py): the
// message, the workbook's language, the deal count, the grade mix and the engine's stated vs
// gate-adjusted weighted pipeline. After the run the pane reads the Findings table the script
// wrote (tblExcelFlowFindings…) through Office.js and lists its rows grouped by severity and
// code, filterable by severity, code and text; clicking an item selects its cell. The pane's
// language follows the workbook (the report's language, else the Findings headers).
const FINDINGS_TABLE = "tblexcelflowfindings";
// severity labels of the Findings sheet (excelflow.annotate.labels), most severe first
const SEVERITY_RANK = { 错误: 0, Error: 0, 警告: 1, Warning: 1, 提示: 2, Info: 2 };
const WORDS = {
  zh: {
    none: "没有问题。",
    noTable: "尚无问题清单：请先运行“校验”。",
    findings: "问题",
    deals: "涉及商机",
    dealCount: (n, open) => `商机 ${n} 个（进行中 ${open} 个）`,
    grades: "评级分布",
    ungraded: "未评级",
    stated: "报称加权管道",
    adjusted: "阶段门调整后",
    gap: (gap, share) => `差额 ${gap}（报称的 ${share}）：强行推进、里程碑未完成的部分`,
    allSeverities: "全部级别",
    allCodes: "全部规则",
    search: "筛选问题…",
    shown: (k, n) => `显示 ${k} / ${n} 条`,
    running: "运行中…",
    changes: (c) =>
      `自上次检查（${c.since}）以来：推进 ${c.advanced}，倒退 ${c.went_back}，新增 ${c.new}，` +
      `新的强行推进 ${c.newly_forced}，停滞 ${c.stalled}，重开 ${c.reopened}`,
  },
  en: {
    none: "No findings.",
    noTable: "No Findings sheet yet: run Validate first.",
    findings: "findings",
    deals: "deals concerned",
    dealCount: (n, open) => `${n} deals (${open} open)`,
    grades: "Grade mix",
    ungraded: "ungraded",
    stated: "Stated weighted pipeline",
    adjusted: "Gate-adjusted",
    gap: (gap, share) => `Gap ${gap} (${share} of stated): forced advances, milestones not done`,
    allSeverities: "All severities",
    allCodes: "All codes",
    search: "Filter findings…",
    shown: (k, n) => `${k} of ${n} shown`,
    running: "Running…",
    changes: (c) =>
      `Since the last check (${c.since}): ${c.advanced} advanced, ${c.went_back} went back, ` +
      `${c.new} new, ${c.newly_forced} newly forced, ${c.stalled} stalled, ${c.reopened} re-opened`,
  },
};

const state = { lang: "en", report: null, numbers: null, findings: null, runs: 0 };

function words() {
  return WORDS[state.lang] || WORDS.en;
}

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
    groups.get(key).items.push({ severity, code, deal, sheet, cell, column, message });
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

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function amount(value) {
  const locale = state.lang === "zh" ? "zh-CN" : "en-US";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}

// The run's summary: message, deal count, grade mix, stated vs adjusted with the gap line.
function renderReport() {
  const report = state.report;
  const message = document.getElementById("ef-message");
  const stats = document.getElementById("ef-stats");
  stats.replaceChildren();
  if (!report) return;
  message.textContent = report.message || "";
  message.style.whiteSpace = "pre-line"; // one line per sentence, as in the alert
  message.className = "small mb-2 " + (report.ok ? "text-body" : "text-danger");
  message.dataset.script = report.script;
  message.dataset.ok = String(report.ok);
  if (report.deals === undefined) return;
  const w = words();
  stats.appendChild(element("div", "ef-deals fw-semibold", w.dealCount(report.deals, report.open)));
  const mix = element("div", "ef-grades my-1");
  mix.appendChild(element("span", "me-1", w.grades + ":"));
  for (const [grade, n] of Object.entries(report.grades)) {
    const badge = element("span", "badge text-bg-light border me-1 ef-grade", `${grade} ${n}`);
    badge.dataset.grade = grade;
    badge.dataset.count = String(n);
    mix.appendChild(badge);
  }
  if (report.ungraded) mix.appendChild(element("span", "small text-muted", `${w.ungraded} ${report.ungraded}`));
  stats.appendChild(mix);
  const fc = report.forecast;
  const table = element("table", "table table-sm small mb-1 ef-forecast");
  for (const [label, value, key] of [
    [w.stated, fc.stated, "stated"],
    [w.adjusted, fc.adjusted, "adjusted"],
  ]) {
    const row = element("tr");
    row.appendChild(element("th", "fw-normal", label));
    const cell = element("td", "text-end", amount(value));
    cell.dataset.forecast = key;
    cell.dataset.value = String(value);
    row.appendChild(cell);
    table.appendChild(row);
  }
  stats.appendChild(table);
  const share = fc.stated ? `${Math.round((fc.gap / fc.stated) * 100)}%` : "0%";
  const gap = element("div", "small ef-gap " + (fc.gap > 0 ? "text-warning-emphasis" : "text-muted"));
  gap.textContent = w.gap(amount(fc.gap), share);
  gap.dataset.value = String(fc.gap);
  stats.appendChild(gap);
  const changes = report.changes;
  if (changes) {
    const line = element("div", "small mt-1 ef-changes", w.changes(changes));
    for (const [key, value] of Object.entries(changes)) line.dataset[key] = String(value);
    stats.appendChild(line);
  }
}

function fillSelect(select, first, options) {
  const keep = select.value;
  select.replaceChildren(element("option", "", first));
  select.firstChild.value = "";
  for (const value of options) {
    const option = element("option", "", value);
    option.value = value;
    select.appendChild(option);
  }
  select.value = options.includes(keep) ? keep : "";
}

// Show only the findings that match the filter; hide the groups left empty.
function applyFilter() {
  const severity = document.getElementById("ef-filter-severity").value;
  const code = document.getElementById("ef-filter-code").value;
  const text = document.getElementById("ef-filter-text").value.trim().toLowerCase();
  let shown = 0;
  let total = 0;
  for (const section of document.querySelectorAll(".ef-group")) {
    let visible = 0;
    for (const link of section.querySelectorAll(".ef-finding")) {
      total += 1;
      const match =
        (!severity || section.dataset.severity === severity) &&
        (!code || section.dataset.code === code) &&
        (!text || link.textContent.toLowerCase().includes(text) || section.dataset.code.toLowerCase().includes(text));
      link.parentElement.hidden = !match;
      visible += match ? 1 : 0;
    }
    section.hidden = visible === 0;
    if (text || severity || code) section.open = visible > 0;
    shown += visible;
  }
  document.getElementById("ef-filter-count").textContent = total ? words().shown(shown, total) : "";
}

function renderFindings() {
  const found = state.findings;
  const list = document.getElementById("ef-findings");
  const summary = document.getElementById("ef-summary");
  const filter = document.getElementById("ef-filter");
  list.replaceChildren();
  if (!found) {
    filter.hidden = true;
    summary.textContent = state.report ? words().noTable : WORDS.en.noTable + " · " + WORDS.zh.noTable;
    return;
  }
  const { groups } = group(found.values);
  const w = words();
  const items = groups.flatMap((g) => g.items);
  const deals = new Set(items.map((i) => i.deal).filter(Boolean));
  summary.textContent = items.length ? `${items.length} ${w.findings} · ${deals.size} ${w.deals}` : w.none;
  filter.hidden = items.length === 0;
  fillSelect(document.getElementById("ef-filter-severity"), w.allSeverities, [...new Set(groups.map((g) => g.severity))]);
  fillSelect(document.getElementById("ef-filter-code"), w.allCodes, [...new Set(groups.map((g) => g.code))]);
  document.getElementById("ef-filter-text").placeholder = w.search;
  for (const g of groups) {
    const section = element("details", "ef-group mb-1");
    section.dataset.severity = g.severity;
    section.dataset.code = g.code;
    section.appendChild(element("summary", "", `${g.severity} · ${g.code} (${g.items.length})`));
    const ul = element("ul", "list-unstyled ms-3 small");
    for (const item of g.items) {
      const li = element("li");
      const link = element("a", "ef-finding", `${item.cell} ${item.deal} — ${item.message}`);
      link.href = "#";
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
  applyFilter();
}

function render() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  renderReport();
  renderFindings();
}

async function refresh() {
  state.findings = await readFindings();
  if (!state.report && state.findings) state.lang = group(state.findings.values).lang;
  render();
}

// Called by the script's runMacro action (excelflow/xl/pane.py) with the run's JSON summary.
// The numbers shown are those of the last run that checked the deals. Bid checks nothing and
// keeps them; a Validate/Grade/Dashboard run that could not check the deals clears them.
function excelflowPaneReport(context, text) {
  const report = JSON.parse(text);
  if (report.deals !== undefined) {
    const { deals, open, grades, ungraded, forecast, changes } = report;
    state.numbers = { deals, open, grades, ungraded, forecast, changes };
  } else if (!report.ok && report.script !== "bid_analysis") {
    state.numbers = null;
  }
  state.report = { ...(state.numbers || {}), ...report };
  state.lang = state.report.lang === "zh" ? "zh" : "en";
  renderReport();
}

async function run(button) {
  const buttons = document.querySelectorAll("[data-ef-script]");
  buttons.forEach((b) => (b.disabled = true));
  document.getElementById("ef-message").textContent = words().running;
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
      args: ["", "", "pane"], // lang and as_of: the workbook's and today; report: to this pane
    });
    await refresh();
  } finally {
    document.getElementById("ef-actions").dataset.runs = String((state.runs += 1));
    buttons.forEach((b) => (b.disabled = false));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  xlwings.registerCallback(excelflowPaneReport);
  for (const button of document.querySelectorAll("[data-ef-script]")) {
    button.addEventListener("click", () => run(button).catch((error) => console.warn(error)));
  }
  for (const id of ["ef-filter-severity", "ef-filter-code", "ef-filter-text"]) {
    document.getElementById(id).addEventListener("input", applyFilter);
  }
});
globalThis.excelflowPane = { refresh, group, report: excelflowPaneReport };
