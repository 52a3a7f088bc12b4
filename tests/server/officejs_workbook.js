// A whole-workbook stand-in for Excel used by the Validate click in the task pane test. The
// workbook's data (__EF_BOOK__: sheets with values, number formats and tables) answers what
// xlwings' getBookData reads; any other object is a recorder that accepts every call and logs
// every assignment (efBookLog.writes), e.g. the result columns written by setValues.
(function () {
  const book = __EF_BOOK__;
  const writes = [];
  const calls = [];
  globalThis.efBookLog = { writes, calls, alerts: [] };
  function recorder(path, known) {
    const data = known || {};
    const proxy = new Proxy(function () {}, {
      get(t, key) {
        if (Object.prototype.hasOwnProperty.call(data, key)) return data[key];
        if (key === Symbol.toPrimitive) return () => "";
        if (key === "then" || key === "toJSON" || typeof key === "symbol") return undefined;
        if (key === "load" || key === "track" || key === "untrack") return () => proxy;
        if (key === "items") return [];
        if (key === "isNullObject") return false;
        return recorder(path + "." + String(key));
      },
      set(t, key, value) {
        writes.push({ path: path + "." + String(key), value });
        if (data.onSet) data.onSet(key, value);
        else data[key] = value;
        return true;
      },
      apply(t, self, args) {
        calls.push(path + "(" + JSON.stringify(args).slice(0, 80) + ")");
        return recorder(path + "()");
      },
    });
    return proxy;
  }
  const nullObject = () => recorder("null", { isNullObject: true });
  function colName(n) {
    let s = "";
    for (n += 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  }
  function parseAddress(address) {
    const [a, b] = address.replace(/\$/g, "").split("!").pop().split(":");
    const one = (x) => {
      const m = /^([A-Z]+)(\d+)$/.exec(x);
      let col = 0;
      for (const ch of m[1]) col = col * 26 + ch.charCodeAt(0) - 64;
      return [Number(m[2]) - 1, col - 1];
    };
    const [r1, c1] = one(a);
    const [r2, c2] = b ? one(b) : [r1, c1];
    return [r1, c1, r2 - r1 + 1, c2 - c1 + 1];
  }
  // A range of a sheet's grid: reading values reads the grid, assigning values writes it.
  function cells(s, r, c, nr, nc) {
    const read = (grid, blank) =>
      Array.from({ length: nr }, (_, i) =>
        Array.from({ length: nc }, (_, j) => {
          const row = grid[r + i];
          return row && row[c + j] !== undefined ? row[c + j] : blank;
        }),
      );
    return recorder(`range:${s.name}:${r},${c},${nr}x${nc}`, {
      address: `${s.name}!${colName(c)}${r + 1}:${colName(c + nc - 1)}${r + nr}`,
      rowIndex: r, columnIndex: c, rowCount: nr, columnCount: nc,
      get values() { return read(s.values, ""); },
      get numberFormat() { return read(s.numberFormat, "General"); },
      onSet(key, value) {
        if (key !== "values" && key !== "formulas") return;
        value.forEach((row, i) =>
          row.forEach((v, j) => {
            // the one formula the Findings sheet writes: =HYPERLINK("#'Deals'!N3","N3") shows "N3"
            const link = /^=HYPERLINK\(.*,\s*"([^"]*)"\)$/.exec(String(v));
            if (link) v = link[1];
            while (s.values.length <= r + i) s.values.push([]);
            s.values[r + i][c + j] = v;
          }),
        );
      },
    });
  }
  function range(sheetName, address, extra) {
    return recorder(sheetName + "!" + address, { address: sheetName + "!" + address, ...extra });
  }
  const sheetList = [];
  const added = [];
  function makeSheet(s) {
    const rows = s.values.length;
    const cols = rows ? s.values[0].length : 0;
    const last = colName(Math.max(cols, 1) - 1) + Math.max(rows, 1);
    const tables = s.tables.map((t) =>
      recorder("table:" + t.name, {
        name: t.name, showHeaders: true, showTotals: false, style: "TableStyleMedium2",
        showFilterButton: true, highlightFirstColumn: false, highlightLastColumn: false,
        showBandedRows: true, showBandedColumns: false,
        getRange: () => cells(s, ...parseAddress(t.ref)),
        getDataBodyRange: () => range(s.name, t.body),
        getHeaderRowRange: () => range(s.name, t.header),
        columns: recorder("columns", { items: t.columns.map((name) => ({ name })) }),
      }),
    );
    const chartList = [];
    const sheet = recorder("sheet:" + s.name, {
      get name() { return s.name; },
      visibility: "Visible", showGridlines: true,
      get position() { return sheetList.indexOf(sheet); },
      onSet(key, value) {
        if (key === "position") {
          sheetList.splice(sheetList.indexOf(sheet), 1);
          sheetList.splice(value, 0, sheet);
        } else if (key === "name") {
          s.name = value;
        }
      },
      delete: () => sheetList.splice(sheetList.indexOf(sheet), 1),
      getUsedRangeOrNullObject: () =>
        rows ? range(s.name, "A1:" + last, { rowCount: rows, columnCount: cols, isNullObject: false }) : nullObject(),
      getRange: (address) =>
        /^\$?[A-Z]+\$?\d+(:\$?[A-Z]+\$?\d+)?$/.test(address)
          ? cells(s, ...parseAddress(address))
          : recorder(`range:${s.name}:${address}`, { address }), // whole rows/columns
      notes: recorder("notes:" + s.name, { items: [], getItemOrNullObject: nullObject }),
      getRangeByIndexes: (r, c, nr, nc) => cells(s, r, c, nr, nc),
      pageLayout: recorder("pageLayout", { getPrintAreaOrNullObject: nullObject }),
      tables: recorder("tables", {
        items: tables,
        add: (address, hasHeaders) => {
          const table = recorder("table:" + s.name + "#" + tables.length, {
            name: "Table" + (tables.length + 1),
            getRange: () => cells(s, ...parseAddress(address)),
          });
          tables.push(table);
          return table;
        },
      }),
      names: recorder("names", { items: [] }),
      charts: recorder("charts", {
        get items() { return chartList; },
        get count() { return chartList.length; },
        add: (...args) => {
          const chart = recorder("chart:" + s.name + "#" + chartList.length);
          calls.push("charts.add " + s.name);
          chartList.push(chart);
          return chart;
        },
        getItemAt: (i) => chartList[i],
      }),
      shapes: recorder("shapes", { items: [] }),
    });
    return sheet;
  }
  for (const s of book.sheets) sheetList.push(makeSheet(s));
  globalThis.efBookLog.sheets = () => sheetList.map((x) => x.name);
  globalThis.efBookLog.grid = (name) => book.sheets.concat(added).filter((x) => x.name === name).map((x) => x.values);
  const worksheets = recorder("worksheets", {
    get items() { return sheetList; },
    get count() { return sheetList.length; },
    add: (name) => {
      const data = { name: name || "Sheet" + (sheetList.length + 1), values: [], numberFormat: [], tables: [] };
      added.push(data);
      const sheet = makeSheet(data);
      sheetList.push(sheet);
      return sheet;
    },
    getItemOrNullObject: (name) => sheetList.find((s) => s.name === name) || nullObject(),
    getItem: (name) => sheetList.find((s) => s.name === name) || recorder("sheet:" + name, { name }),
    getActiveWorksheet: () => sheetList[0],
  });
  const context = recorder("context", {
    sync: async () => {},
    workbook: recorder("workbook", {
      name: book.name,
      worksheets,
      names: recorder("names", { items: [] }),
      application: recorder("application", { calculationMode: "Automatic" }),
      // the selection is A1 of the first sheet unless the test sets efBookLog.selection
      getSelectedRange: () =>
        range(book.sheets[0].name, globalThis.efBookLog.selection || "A1", { rowCount: 1, columnCount: 1 }),
    }),
  });
  globalThis.CustomFunctions = { associate: () => {} };
  globalThis.Office = {
    onReady: async () => ({ host: "Excel", platform: "OfficeOnline" }),
    context: {
      platform: "OfficeOnline",
      requirements: { isSetSupported: () => true },
      ui: { displayDialogAsync: (url) => globalThis.efBookLog.alerts.push(decodeURIComponent(url)) },
    },
    actions: { associate: () => {} },
  };
  globalThis.Excel = { run: async (callback) => callback(context), ShapeType: { image: "Image" } };
})();
