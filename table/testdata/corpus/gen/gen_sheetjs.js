// Generate the SheetJS and ExcelJS fixtures of the svbatch corpus, with their sidecars.
//
//   mkdir -p /tmp/sheetjs && cd /tmp/sheetjs && npm init -y && npm install xlsx@0.18.5 exceljs@4.4.0
//   NODE_PATH=/tmp/sheetjs/node_modules node gen/gen_sheetjs.js      (from table/testdata/corpus/)
//
// See README.md beside this file.
'use strict';
const fs = require('fs');
const path = require('path');
const XLSX = require('xlsx');
const ExcelJS = require('exceljs');

const OUT = path.resolve(__dirname, '..');
const W_SHEETJS = 'SheetJS ' + XLSX.version;
const W_EXCELJS = 'ExcelJS ' + require('exceljs/package.json').version;

// JSON with one line per row / problem / warning (the same layout gen.py writes).
function dumps(d) {
  const parts = Object.entries(d).map(([k, v]) => {
    if (Array.isArray(v) && v.length && v.every(x => x && typeof x === 'object')) {
      return `  ${JSON.stringify(k)}: [\n${v.map(x => '    ' + JSON.stringify(x)).join(',\n')}\n  ]`;
    }
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return '{\n' + parts.join(',\n') + '\n}';
}

function R(line, cells) { return { line, cells: cells.map(String) }; }

function side(name, writer, kase, extra) {
  const d = Object.assign({
    writer, case: kase,
    options: { sheet: '', encoding: '', header_row: 0 },
    expect: 'read',
  }, extra);
  for (const k of ['cell_problems', 'warnings']) if (!d[k]) d[k] = [];
  fs.writeFileSync(path.join(OUT, name + '.expect.json'), dumps(d) + '\n');
}

const H = ['brand_id', 'shop_id', 'operator_id', 'outer_order_id', 'operate_type', 'change_value',
  'customer_id', 'mobile', 'reason'];

// 22a. a normal operations workbook: ids and mobiles as strings, amounts and types as numbers
function sheetjsOps() {
  const data = [
    ['1332', 'S001', 'op-01', 'ORD-20261103-0001', 1, 10000, 'C45861122', '18651822226', '会员充值'],
    ['1332', 'S001', 'op-01', 'ORD-20261103-0002', 1, 20000, '', '18651822227', '充值送券'],
    ['1332', 'S002', 'op-02', 'ORD-20261103-0003', 3, 5000, 'C45861130', '', '消费核销'],
    ['1332', 'S002', 'op-02', 'ORD-20261103-0004', 1, 123456, 'C00045861', '13900000001', '企业福利发放'],
  ];
  const aoa = [H].concat(data.map(r => r.map(v => (v === '' ? null : v))));
  const ws = XLSX.utils.aoa_to_sheet(aoa);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Operations');
  const name = 'xlsx_sheetjs_ops.xlsx';
  XLSX.writeFile(wb, path.join(OUT, name), { compression: true });
  side(name, W_SHEETJS,
    'plain operations workbook from SheetJS: every text cell is t="str" with a <v> and no formula (no sharedStrings.xml); ids and mobiles text, amounts numbers',
    { header_line: 1, header: H, rows: data.map((r, i) => R(i + 2, r)) });
}

// 22b. a date cell in outer_order_id
function sheetjsDate() {
  const h = ['brand_id', 'shop_id', 'outer_order_id', 'operate_type', 'change_value', 'mobile'];
  const aoa = [h,
    ['1332', 'S001', 'ORD-20261103-0011', 1, 10000, '18651822226'],
    ['1332', 'S001', new Date(2026, 10, 3) /* local midnight: SheetJS converts in local time */, 1, 20000, '18651822227'],
  ];
  const ws = XLSX.utils.aoa_to_sheet(aoa, { dateNF: 'yyyy-mm-dd' });
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Sheet1');
  const name = 'xlsx_sheetjs_date_in_order_id.xlsx';
  XLSX.writeFile(wb, path.join(OUT, name), { compression: true });
  side(name, W_SHEETJS,
    'outer_order_id on row 3 is a date (serial 46329, format yyyy-mm-dd, shown 2026-11-03): report a date problem, never send 46329',
    {
      header_line: 1, header: h,
      rows: [R(2, ['1332', 'S001', 'ORD-20261103-0011', '1', '10000', '18651822226']),
        R(3, ['1332', 'S001', '2026-11-03', '1', '20000', '18651822227'])],
      cell_problems: [{ line: 3, column: 'outer_order_id', kind: 'date', stored_value: '46329' }],
    });
}

// 23. ExcelJS shared formulas with cached results
async function exceljsShared() {
  const h = ['outer_order_id', 'brand_id', 'shop_id', 'operate_type', 'amount_yuan', 'change_value', 'mobile', 'request_id'];
  const base = [['ORD-20261103-0021', 1332, 'S001', 1, 100, '18651822226'],
    ['ORD-20261103-0022', 1332, 'S001', 1, 2.5, '18651822227'],
    ['ORD-20261103-0023', 1332, 'S002', 1, 88.88, '18651822228']];
  const wb = new ExcelJS.Workbook();
  wb.creator = 'svbatch corpus';
  const ws = wb.addWorksheet('Sheet1');
  ws.addRow(h);
  base.forEach(r => ws.addRow([r[0], r[1], r[2], r[3], r[4], null, r[5], null]));
  const n = base.length;
  const fen = base.map(r => Math.round(r[4] * 100));
  const rid = base.map(r => 'RID-' + r[0]);
  // change_value F2:F4 = ROUND(E2*100,0), request_id H2:H4 = "RID-"&A2, each a shared formula with results
  ws.getCell('F2').value = { formula: 'ROUND(E2*100,0)', result: fen[0], shareType: 'shared', ref: `F2:F${n + 1}` };
  ws.getCell('H2').value = { formula: '"RID-"&A2', result: rid[0], shareType: 'shared', ref: `H2:H${n + 1}` };
  for (let i = 1; i < n; i++) {
    ws.getCell(`F${i + 2}`).value = { sharedFormula: 'F2', result: fen[i] };
    ws.getCell(`H${i + 2}`).value = { sharedFormula: 'H2', result: rid[i] };
  }
  const name = 'xlsx_exceljs_shared_formula.xlsx';
  await wb.xlsx.writeFile(path.join(OUT, name));
  side(name, W_EXCELJS,
    'change_value (ROUND(E2*100,0)) and request_id ("RID-"&A2) are shared formulas written by ExcelJS with cached results: read the results',
    {
      header_line: 1, header: h,
      rows: base.map((r, i) => R(i + 2, [r[0], r[1], r[2], r[3], r[4], fen[i], r[5], rid[i]])),
    });
}

(async () => {
  sheetjsOps();
  sheetjsDate();
  await exceljsShared();
  console.log('wrote SheetJS/ExcelJS fixtures to', OUT);
})().catch(e => { console.error(e); process.exit(1); });
