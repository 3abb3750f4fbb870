#!/usr/bin/python3
"""Generate the svbatch spreadsheet fixture corpus (everything except the SheetJS/ExcelJS files).

Run with Debian's python (it has openpyxl and XlsxWriter):  /usr/bin/python3 gen/gen.py
from table/testdata/corpus/.  See README.md beside this file.

Each fixture FILE gets FILE.expect.json.  The expected cells are written here from the same data
the fixture is built from; gen/verify.py then re-reads every fixture with independent readers
(LibreOffice's "as shown" CSV export, openpyxl, Python's csv module) and fails on any difference.
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

import openpyxl
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
TMP = tempfile.mkdtemp(prefix="svcorpus-")
LO_PROFILE = "file:///tmp/lo-profile-svcorpus"

W_OPENPYXL = "openpyxl 3.x"
W_XLSXWRITER = "XlsxWriter 3.x"
W_LO = "LibreOffice 7.x"
W_CSV = "python csv"
W_HAND = "hand-written"

SOON = "open and save"  # what a formula-no-value message must contain


# ---------------------------------------------------------------------------------------------
# sidecars

def R(line, cells):
    return {"line": line, "cells": [str(c) for c in cells]}


def dumps(d):
    """JSON with one line per row / problem / warning, so diffs of a sidecar stay readable."""
    parts = []
    for k, v in d.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            inner = ",\n".join("    " + json.dumps(x, ensure_ascii=False) for x in v)
            parts.append("  %s: [\n%s\n  ]" % (json.dumps(k), inner))
        elif isinstance(v, dict) and any(isinstance(x, list) for x in v.values()):
            inner = dumps(v).replace("\n", "\n  ")
            parts.append("  %s: %s" % (json.dumps(k), inner))
        else:
            parts.append("  %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False)))
    return "{\n" + ",\n".join(parts) + "\n}"


def write_json(path, d):
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(d) + "\n")


def side(name, writer, case, expect="read", header_line=None, header=None, rows=None,
         cell_problems=None, warnings=None, refuse_contains=None, options=None, **extra):
    d = {"writer": writer, "case": case,
         "options": options or {"sheet": "", "encoding": "", "header_row": 0},
         "expect": expect}
    if expect == "read":
        if header_line is not None:
            d["header_line"] = header_line
            d["header"] = header
            d["rows"] = rows or []
            d["cell_problems"] = cell_problems or []
            d["warnings"] = warnings or []
    else:
        d["refuse_contains"] = refuse_contains or []
    d.update(extra)
    write_json(os.path.join(OUT, name + ".expect.json"), d)


def put(name, data: bytes):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def csv_bytes(rows, encoding="utf-8", delimiter=",", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL):
    s = io.StringIO()
    w = csv.writer(s, delimiter=delimiter, lineterminator=lineterminator, quoting=quoting)
    for r in rows:
        w.writerow(r)
    return s.getvalue().encode(encoding)


def soffice(src, fmt, outdir):
    os.makedirs(outdir, exist_ok=True)
    subprocess.run(["soffice", "-env:UserInstallation=" + LO_PROFILE, "--headless",
                    "--convert-to", fmt, "--outdir", outdir, src],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------------------------------------
# the data most fixtures share

H = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value",
     "customer_id", "mobile", "reason"]
OPS = [
    ["1332", "S001", "op-01", "ORD-20261101-0001", "1", "10000", "C45861122", "18651822226", "会员充值"],
    ["1332", "S001", "op-01", "ORD-20261101-0002", "1", "20000", "", "18651822227", "充值送券"],
    ["1332", "S002", "op-02", "ORD-20261101-0003", "3", "5000", "C45861130", "", "消费核销"],
]
INT_COLS = {"brand_id", "operate_type", "change_value"}  # typed as numbers in the workbooks


def typed(header, row):
    """Values for a workbook: brand_id, operate_type and change_value as numbers, the rest text."""
    out = []
    for h, v in zip(header, row):
        if v == "":
            out.append(None)
        elif h in INT_COLS:
            out.append(int(v))
        else:
            out.append(v)
    return out


def rows_from(data, first_line=2):
    return [R(first_line + i, r) for i, r in enumerate(data)]


# ---------------------------------------------------------------------------------------------
# CSV cases

def csv_cases():
    # 1a. a field that starts with a quote, with text after the closing quote -> refuse
    h = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "vip_note"]
    put("csv_quote_unclosed_passthrough.csv", (
        "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile,vip_note\r\n"
        "1332,S001,op-01,ORD-0001,1,10000,18651822226,regular\r\n"
        '1332,S001,op-01,ORD-0002,1,20000,18651822227,"VIP" customer\r\n'
        "1332,S001,op-01,ORD-0003,1,30000,18651822228,new\r\n").encode())
    side("csv_quote_unclosed_passthrough.csv", W_HAND,
         'vip_note on line 3 is `"VIP" customer`: a field that opens with a quote and has text after the closing quote',
         expect="refuse", refuse_contains=["line 3", "quote"])

    # 1b. a bare quote in the middle of an unquoted field -> read literally
    put("csv_bare_quote_middle.csv", (
        "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile,reason\r\n"
        "1332,S001,op-01,ORD-0011,1,10000,18651822226,会员充值\r\n"
        '1332,S001,op-01,ORD-0012,1,20000,18651822227,he said "hi"\r\n'
        '1332,S001,op-01,ORD-0013,1,30000,18651822228,5" screen gift\r\n').encode())
    hb = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"]
    side("csv_bare_quote_middle.csv", W_HAND,
         'bare quotes inside unquoted fields (`he said "hi"`, `5" screen gift`) are literal text, as Excel reads them',
         header_line=1, header=hb, rows=[
             R(2, ["1332", "S001", "op-01", "ORD-0011", "1", "10000", "18651822226", "会员充值"]),
             R(3, ["1332", "S001", "op-01", "ORD-0012", "1", "20000", "18651822227", 'he said "hi"']),
             R(4, ["1332", "S001", "op-01", "ORD-0013", "1", "30000", "18651822228", '5" screen gift']),
         ])

    # 1c. a quoted field opened on line 4 and never closed
    put("csv_quote_open_to_eof.csv", (
        "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,mobile,reason\r\n"
        "1332,S001,op-01,ORD-0021,1,10000,18651822226,会员充值\r\n"
        "1332,S001,op-01,ORD-0022,1,20000,18651822227,充值送券\r\n"
        '1332,S001,op-01,ORD-0023,1,30000,18651822228,"补发，见工单\r\n'
        "1332,S001,op-01,ORD-0024,1,40000,18651822229,会员充值\r\n"
        "1332,S001,op-01,ORD-0025,1,50000,18651822230,会员充值\r\n").encode())
    side("csv_quote_open_to_eof.csv", W_HAND,
         "reason on line 4 opens a quoted field that is never closed before end of file; the message names line 4, where the field started",
         expect="refuse", refuse_contains=["line 4", "quote"])

    # 2. ERP ="00123" trick
    put("csv_erp_equals_quote.csv", (
        "brand_id,shop_id,operator_id,outer_order_id,operate_type,change_value,customer_id,mobile\r\n"
        '1332,="00042",op-01,ORD-0031,1,10000,="00123",="18651822226"\r\n'
        '1332,"=""00042""",op-01,ORD-0032,1,20000,"=""00456""",="18651822227"\r\n'
        '1332,S003,op-01,="0000033",1,30000,C45861122,18651822228\r\n').encode())
    he = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "customer_id", "mobile"]
    side("csv_erp_equals_quote.csv", W_HAND,
         'ERP exports ids as ="00123" (bare and quoted-with-doubled-quotes forms); Excel shows 00123, so the reader must too',
         header_line=1, header=he, rows=[
             R(2, ["1332", "00042", "op-01", "ORD-0031", "1", "10000", "00123", "18651822226"]),
             R(3, ["1332", "00042", "op-01", "ORD-0032", "1", "20000", "00456", "18651822227"]),
             R(4, ["1332", "S003", "op-01", "0000033", "1", "30000", "C45861122", "18651822228"]),
         ])

    # 3. GBK bytes that are also valid UTF-8
    words = ["失效", "系统通知", "直营签约", "双十一预约"]
    hg = ["brand_id", "shop_id", "outer_order_id", "operate_type", "change_value", "mobile", "remark"]
    data = [["1332", "S001", "ORD-0041", "1", "10000", "18651822226", words[0]],
            ["1332", "S001", "ORD-0042", "1", "20000", "18651822227", words[1]],
            ["1332", "S002", "ORD-0043", "1", "30000", "18651822228", words[2]],
            ["1332", "S002", "ORD-0044", "1", "40000", "18651822229", words[3]]]
    raw = csv_bytes([hg] + data, encoding="gbk")
    raw.decode("utf-8")  # must not raise: the whole file is valid UTF-8 too
    put("csv_gbk_valid_utf8.csv", raw)
    side("csv_gbk_valid_utf8.csv", W_CSV,
         "GBK file whose bytes are also valid UTF-8 (失效 = CA A7 D0 A7 = UTF-8 'ʧЧ'); the remarks are meant as GBK "
         "(as UTF-8 they read 'ʧЧ', 'ϵͳ֪ͨ', 'ֱӪǩԼ', '˫ʮһԤԼ')",
         header_line=1, header=hg, rows=rows_from(data),
         optional_warnings=[{"kind": "encoding-ambiguous"}],
         utf8_reading=[w.encode("gbk").decode("utf-8") for w in words])

    # 4. reason with Alt+Enter line break and a tab, Excel "CSV UTF-8" (BOM, CRLF records, LF in cell)
    reason = "补发\n原单号 ORD-0050\t已核对"
    data = [["1332", "S001", "op-01", "ORD-0051", "1", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0052", "1", "20000", "18651822227", reason],
            ["1332", "S001", "op-01", "ORD-0053", "1", "30000", "18651822228", "会员充值"]]
    hr = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"]
    put("csv_multiline_reason.csv", b"\xef\xbb\xbf" + csv_bytes([hr] + data))
    side("csv_multiline_reason.csv", W_CSV,
         "Excel 'CSV UTF-8' (BOM): reason on row 3 is quoted and holds a line break (Alt+Enter, LF) and a tab; the next record starts on text line 5, which Excel shows as row 4",
         header_line=1, header=hr, rows=[R(2, data[0]), R(3, data[1]), R(4, data[2])])

    # 5. Excel "Unicode Text": UTF-16LE with BOM, tab-separated, CRLF
    hu = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"]
    data = [["1332", "S001", "op-01", "ORD-0061", "1", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0062", "1", "20000", "18651822227", "充值送券"]]
    text = "".join("\t".join(r) + "\r\n" for r in [hu] + data)
    for ext in ("txt", "csv"):
        name = "csv_unicode_text_utf16le." + ext
        put(name, b"\xff\xfe" + text.encode("utf-16-le"))
        side(name, W_HAND,
             "Excel 'Unicode Text' save: UTF-16LE with BOM, tab-separated, CRLF" +
             (" (as Excel names it, .txt)" if ext == "txt" else " (renamed to .csv by the user)"),
             header_line=1, header=hu, rows=rows_from(data))

    # 6. CR-only line endings
    data = [["1332", "S001", "op-01", "ORD-0071", "1", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0072", "1", "20000", "18651822227", "充值送券"],
            ["1332", "S002", "op-02", "ORD-0073", "3", "5000", "18651822228", "消费核销"]]
    put("csv_cr_only.csv", csv_bytes([hu] + data, lineterminator="\r"))
    side("csv_cr_only.csv", W_CSV, "old Mac line endings: records end in CR only",
         header_line=1, header=hu, rows=rows_from(data))

    # 7. sep=; line
    data = [["1332", "S001", "op-01", "ORD-0081", "1", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0082", "1", "20000", "18651822227", "充值, 送券"]]
    put("csv_sep_semicolon.csv", b"sep=;\r\n" + csv_bytes([hu] + data, delimiter=";"))
    side("csv_sep_semicolon.csv", W_CSV,
         "Excel 'sep=;' first line, then a semicolon-delimited table (a comma inside a field is plain text); Excel uses the sep= line and does not show it, so the header (text line 2) is row 1",
         header_line=1, header=hu, rows=rows_from(data, 2))

    # 8. title rows, empty line, header, data, totals row
    ht = ["品牌ID", "门店ID", "操作人ID", "外部订单号", "操作类型", "金额", "手机号", "备注"]
    data = [["1332", "S001", "op-01", "ORD-0091", "充值", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0092", "充值", "20000", "18651822227", "充值送券"],
            ["1332", "S002", "op-02", "ORD-0093", "充值", "30000", "18651822228", ""]]
    total = ["合计", "", "", "", "", "60000", "", ""]
    title = "2026年11月储值充值"
    date = "导出日期：2026-11-30"
    raw = (title + "\r\n" + date + "\r\n" + "\r\n").encode("utf-8") + csv_bytes([ht] + data + [total])
    put("csv_title_rows_totals.csv", b"\xef\xbb\xbf" + raw)
    exp_rows = [R(5, data[0]), R(6, data[1]), R(7, data[2]), R(8, total)]
    tp = [{"line": 8, "column": "品牌ID", "kind": "totals-row"}]
    side("csv_title_rows_totals.csv", W_HAND,
         "title line, export-date line and an empty line above the header (line 4); last row is a 合计 totals row",
         header_line=4, header=ht, rows=exp_rows, cell_problems=tp)
    padded = csv_bytes([[title] + [""] * 7, [date] + [""] * 7, [""] * 8, ht] + data + [total])
    put("csv_title_rows_totals_padded.csv", b"\xef\xbb\xbf" + padded)
    side("csv_title_rows_totals_padded.csv", W_CSV,
         "same as csv_title_rows_totals.csv as Excel itself exports it: title, date and empty rows padded with commas (',,,,,,,')",
         header_line=4, header=ht, rows=exp_rows, cell_problems=tp)

    # 9. amount headers with units
    hf = ["品牌ID", "门店ID", "操作人ID", "外部订单号", "操作类型", "金额（分）", "手机号"]
    data = [["1332", "S001", "op-01", "ORD-0101", "1", "10000", "18651822226"],
            ["1332", "S001", "op-01", "ORD-0102", "1", "250", "18651822227"]]
    put("csv_header_amount_fen_fullwidth.csv", b"\xef\xbb\xbf" + csv_bytes([hf] + data))
    side("csv_header_amount_fen_fullwidth.csv", W_CSV,
         "change_value header written 金额（分） with full-width brackets: amounts in fen",
         header_line=1, header=hf, rows=rows_from(data),
         column_map={"金额（分）": "change_value"}, amount_unit="fen")
    hy = ["品牌ID", "门店ID", "操作人ID", "外部订单号", "操作类型", "金额(元)", "手机号"]
    data = [["1332", "S001", "op-01", "ORD-0111", "1", "100.00", "18651822226"],
            ["1332", "S001", "op-01", "ORD-0112", "1", "2.5", "18651822227"]]
    put("csv_header_amount_yuan.csv", b"\xef\xbb\xbf" + csv_bytes([hy] + data))
    side("csv_header_amount_yuan.csv", W_CSV,
         "change_value header written 金额(元) (ASCII brackets): amounts in yuan (100.00 = 10000 fen, 2.5 = 250 fen)",
         header_line=1, header=hy, rows=rows_from(data),
         column_map={"金额(元)": "change_value"}, amount_unit="yuan", fen=["10000", "250"])


# ---------------------------------------------------------------------------------------------
# XLSX cases

HF = ["outer_order_id", "brand_id", "shop_id", "operator_id", "operate_type", "change_value",
      "customer_id", "mobile", "request_id"]
FDATA = [["ORD-20261102-0001", "1332", "S001", "op-01", "1", "10000", "", "18651822226", ""],
         ["ORD-20261102-0002", "1332", "S001", "op-01", "1", "20000", "", "18651822227", ""],
         ["ORD-20261102-0003", "1332", "S002", "op-02", "1", "30000", "", "18651822228", ""]]
F_CUST = '="C"&(45861120+ROW())'
F_RID = '="RID-"&A{r}'


def formula_expect(problem_contains):
    rows, probs = [], []
    for i, r in enumerate(FDATA):
        line = i + 2
        cells = list(r)
        cells[6] = "C%d" % (45861120 + line)
        cells[8] = "RID-" + r[0]
        rows.append(R(line, cells))
        for col in ("customer_id", "request_id"):
            p = {"line": line, "column": col, "kind": "formula-no-value"}
            if problem_contains:
                p["contains"] = problem_contains
            probs.append(p)
    return rows, probs


def xlsx_cases():
    # 10. openpyxl formulas (no cached values)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(HF)
    for i, r in enumerate(FDATA):
        row = typed(HF, r)
        row[6] = F_CUST
        row[8] = F_RID.format(r=i + 2)
        ws.append(row)
    p = os.path.join(OUT, "xlsx_openpyxl_formulas.xlsx")
    wb.save(p)
    rows, probs = formula_expect(SOON)
    side("xlsx_openpyxl_formulas.xlsx", W_OPENPYXL,
         "customer_id and request_id are formulas (=\"RID-\"&A2) saved by openpyxl with no cached value; "
         "cells show what Excel displays after recalculating, but a reader without a calc engine must report each formula cell",
         header_line=1, header=HF, rows=rows, cell_problems=probs)

    # 12. the same workbook opened and saved by LibreOffice: values computed and cached
    lo = os.path.join(TMP, "lo_formulas")
    shutil.copy(p, os.path.join(TMP, "xlsx_libreoffice_formulas.xlsx"))
    soffice(os.path.join(TMP, "xlsx_libreoffice_formulas.xlsx"), "xlsx:Calc MS Excel 2007 XML", lo)
    shutil.copy(os.path.join(lo, "xlsx_libreoffice_formulas.xlsx"), os.path.join(OUT, "xlsx_libreoffice_formulas.xlsx"))
    rows, _ = formula_expect(None)
    side("xlsx_libreoffice_formulas.xlsx", W_LO,
         "xlsx_openpyxl_formulas.xlsx opened and saved by LibreOffice (soffice --convert-to xlsx): formulas keep cached values, read them",
         header_line=1, header=HF, rows=rows)

    # 11. XlsxWriter formulas (cached 0, fullCalcOnLoad)
    p = os.path.join(OUT, "xlsx_xlsxwriter_formulas.xlsx")
    wb = xlsxwriter.Workbook(p)
    ws = wb.add_worksheet("Sheet1")
    ws.write_row(0, 0, HF)
    for i, r in enumerate(FDATA):
        row = typed(HF, r)
        for c, v in enumerate(row):
            if c == 6:
                ws.write_formula(i + 1, c, F_CUST)
            elif c == 8:
                ws.write_formula(i + 1, c, F_RID.format(r=i + 2))
            elif v is not None:
                ws.write(i + 1, c, v)
    wb.close()
    rows, probs = formula_expect(SOON)
    side("xlsx_xlsxwriter_formulas.xlsx", W_XLSXWRITER,
         "same formulas written by XlsxWriter: it caches the value 0 and sets fullCalcOnLoad, so the cached values are stale; "
         "report each formula cell",
         header_line=1, header=HF, rows=rows, cell_problems=probs,
         stale_cached_value="0")

    # 13. zero-padding number formats
    hz = ["brand_id", "shop_id", "operator_id", "outer_order_id", "operate_type", "change_value", "mobile"]
    zdata = [[1332, 123, 7, "ORD-0131", 1, 10000, "18651822226"],
             [1332, 45, 12, "ORD-0132", 1, 20000, "18651822227"]]
    zexp = [R(2, ["1332", "00123", "007", "ORD-0131", "1", "10000", "18651822226"]),
            R(3, ["1332", "00045", "012", "ORD-0132", "1", "20000", "18651822227"])]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(hz)
    for r in zdata:
        ws.append(r)
    for row in (2, 3):
        ws.cell(row, 2).number_format = "00000"
        ws.cell(row, 3).number_format = "000"
    wb.save(os.path.join(OUT, "xlsx_zero_pad_openpyxl.xlsx"))
    side("xlsx_zero_pad_openpyxl.xlsx", W_OPENPYXL,
         "numeric shop_id/operator_id with number formats 00000 and 000: 123 shows 00123, 7 shows 007",
         header_line=1, header=hz, rows=zexp)
    wb = xlsxwriter.Workbook(os.path.join(OUT, "xlsx_zero_pad_xlsxwriter.xlsx"))
    ws = wb.add_worksheet()
    f5 = wb.add_format({"num_format": "00000"})
    f3 = wb.add_format({"num_format": "000"})
    ws.write_row(0, 0, hz)
    for i, r in enumerate(zdata):
        for c, v in enumerate(r):
            ws.write(i + 1, c, v, f5 if c == 1 else f3 if c == 2 else None)
    wb.close()
    side("xlsx_zero_pad_xlsxwriter.xlsx", W_XLSXWRITER,
         "numeric shop_id/operator_id with number formats 00000 and 000 (XlsxWriter): 123 shows 00123, 7 shows 007",
         header_line=1, header=hz, rows=zexp)

    # 14a. _xHHHH_ escape written by XlsxWriter
    hx = ["brand_id", "outer_order_id", "operate_type", "change_value", "mobile", "remark"]
    wb = xlsxwriter.Workbook(os.path.join(OUT, "xlsx_escape_xlsxwriter.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, hx)
    ws.write_row(1, 0, [1332, "ORD-0141", 1, 10000, "18651822226", "C_x0031_"])
    ws.write_row(2, 0, [1332, "ORD-0142", 1, 20000, "18651822227", "_x4E2D_ literal"])
    wb.close()
    side("xlsx_escape_xlsxwriter.xlsx", W_XLSXWRITER,
         "remark is literally C_x0031_ (stored escaped as C_x005F_x0031_ in sharedStrings.xml) and literally '_x4E2D_ literal'",
         header_line=1, header=hx, rows=[
             R(2, ["1332", "ORD-0141", "1", "10000", "18651822226", "C_x0031_"]),
             R(3, ["1332", "ORD-0142", "1", "20000", "18651822227", "_x4E2D_ literal"])])

    # 20. multi-line reason with wrap text
    hm = ["brand_id", "shop_id", "outer_order_id", "operate_type", "change_value", "mobile", "reason"]
    wb = xlsxwriter.Workbook(os.path.join(OUT, "xlsx_multiline_reason.xlsx"))
    ws = wb.add_worksheet()
    wrap = wb.add_format({"text_wrap": True})
    ws.write_row(0, 0, hm)
    ws.write_row(1, 0, [1332, "S001", "ORD-0201", 1, 10000, "18651822226"])
    ws.write(1, 6, "补发\n原单号 ORD-0200", wrap)
    ws.write_row(2, 0, [1332, "S001", "ORD-0202", 1, 20000, "18651822227", "会员充值"])
    wb.close()
    side("xlsx_multiline_reason.xlsx", W_XLSXWRITER,
         "reason with a line break inside the cell (Alt+Enter, wrap text on)",
         header_line=1, header=hm, rows=[
             R(2, ["1332", "S001", "ORD-0201", "1", "10000", "18651822226", "补发\n原单号 ORD-0200"]),
             R(3, ["1332", "S001", "ORD-0202", "1", "20000", "18651822227", "会员充值"])])

    # 16. exact number shown in scientific format, and a 16+ digit id that Excel rounds
    hs = ["brand_id", "outer_order_id", "operate_type", "change_value", "mobile"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(hs)
    ws.append([1332, "ORD-0161", 1, 10000, "18651822226"])
    ws.append([1332, 12345, 1, 20000, "18651822227"])
    ws.cell(3, 2).number_format = "0.00E+00"
    wb.save(os.path.join(OUT, "xlsx_scientific_format.xlsx"))
    side("xlsx_scientific_format.xlsx", W_OPENPYXL,
         "outer_order_id 12345 (exact) formatted 0.00E+00 so Excel shows 1.23E+04: a scientific problem, not rounding",
         header_line=1, header=hs, rows=[
             R(2, ["1332", "ORD-0161", "1", "10000", "18651822226"]),
             R(3, ["1332", "1.23E+04", "1", "20000", "18651822227"])],
         cell_problems=[{"line": 3, "column": "outer_order_id", "kind": "scientific", "contains": "scientific",
                         "not_contains": ["round"], "stored_value": "12345"}])

    # 17a. first sheet is notes, data on "Data"
    wb = xlsxwriter.Workbook(os.path.join(OUT, "xlsx_first_sheet_notes.xlsx"))
    n = wb.add_worksheet("Notes")
    n.write(0, 0, "储值批量导入说明")
    n.write(1, 0, "1. 金额单位为分")
    n.write(2, 0, "2. 数据在 Data 页")
    d = wb.add_worksheet("Data")
    d.write_row(0, 0, H)
    for i, r in enumerate(OPS):
        d.write_row(i + 1, 0, [v for v in typed(H, r)])
    wb.close()
    side("xlsx_first_sheet_notes.xlsx", W_XLSXWRITER,
         "first sheet 'Notes' holds only notes, the header is on the second sheet 'Data': refuse, naming the sheets and --sheet",
         expect="refuse", refuse_contains=["data", "--sheet"],
         read_with_options={"options": {"sheet": "Data", "encoding": "", "header_row": 0},
                            "header_line": 1, "header": H, "rows": rows_from(OPS)})

    # 17b. chart sheet first
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(H)
    for r in OPS:
        ws.append(typed(H, r))
    cs = wb.create_chartsheet("Chart", 0)
    ch = BarChart()
    ch.add_data(Reference(ws, min_col=6, min_row=1, max_row=4), titles_from_data=True)
    cs.add_chart(ch)
    wb.active = 0
    wb.save(os.path.join(OUT, "xlsx_chartsheet_first.xlsx"))
    side("xlsx_chartsheet_first.xlsx", W_OPENPYXL,
         "first sheet is a chart sheet 'Chart', the data is on worksheet 'Data': read the first visible worksheet (Data)",
         header_line=1, header=H, rows=rows_from(OPS), read_sheet="Data")

    # 18a. hidden rows and a hidden column with data
    h18 = H + ["vip_note"]
    d18 = [["1332", "S001", "op-01", "ORD-0181-%02d" % i, "1", str(1000 * i), "C4586%04d" % i,
            "186518222%02d" % i, "会员充值", "VIP%d" % i if i % 2 else ""] for i in range(1, 10)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(h18)
    for r in d18:
        ws.append(typed(h18, r))
    for line in (4, 9):
        ws.row_dimensions[line].hidden = True
    ws.column_dimensions["J"].hidden = True
    wb.save(os.path.join(OUT, "xlsx_hidden_rows_columns.xlsx"))
    side("xlsx_hidden_rows_columns.xlsx", W_OPENPYXL,
         "rows 4 and 9 hidden by hand, column J (vip_note) hidden with data: all rows are read (and will be sent), with warnings",
         header_line=1, header=h18, rows=rows_from(d18),
         warnings=[{"kind": "hidden-rows", "lines": [4, 9]},
                   {"kind": "hidden-columns", "columns": ["vip_note"], "letters": ["J"]}])

    # 18b. rows hidden by an active autofilter
    d18b = [["1332", "S001", "op-01", "ORD-0182-%02d" % i, "1" if i % 3 else "3", str(1000 * i), "",
             "186518223%02d" % i, "会员充值" if i % 3 else "消费核销"] for i in range(1, 8)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(H)
    for r in d18b:
        ws.append(typed(H, r))
    ws.auto_filter.ref = "A1:I8"
    ws.auto_filter.add_filter_column(4, ["1"])
    hidden = [i + 2 for i, r in enumerate(d18b) if r[4] != "1"]
    for line in hidden:
        ws.row_dimensions[line].hidden = True
    wb.save(os.path.join(OUT, "xlsx_autofilter_hidden.xlsx"))
    side("xlsx_autofilter_hidden.xlsx", W_OPENPYXL,
         "an active autofilter on operate_type=1 hides the operate_type=3 rows: all rows are read, with a hidden-rows warning",
         header_line=1, header=H, rows=rows_from(d18b),
         warnings=[{"kind": "hidden-rows", "lines": hidden}])

    # 19. lock file beside ops.xlsx
    os.makedirs(os.path.join(OUT, "lockfile"), exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(H)
    for r in OPS:
        ws.append(typed(H, r))
    wb.save(os.path.join(OUT, "lockfile", "ops.xlsx"))
    side("lockfile/ops.xlsx", W_OPENPYXL,
         "ops.xlsx with Excel's lock file ~$ops.xlsx beside it (someone has it open, maybe unsaved): read, warn lock-file",
         header_line=1, header=H, rows=rows_from(OPS),
         warnings=[{"kind": "lock-file", "file": "~$ops.xlsx", "user": "alice"}])
    name = b"alice"
    lock = bytes([len(name)]) + name.ljust(53, b" ")          # 1 byte length + user name padded to 54
    uname = "alice".encode("utf-16-le")
    lock += bytes([len(name), 0]) + uname                      # UTF-16 length + name
    lock += b"\x20\x00" * ((165 - len(lock)) // 2)
    lock += b"\x00" * (165 - len(lock))
    assert len(lock) == 165 and lock[0] == 5
    put("lockfile/~$ops.xlsx", lock)
    side("lockfile/~$ops.xlsx", W_HAND,
         "Excel's owner/lock file itself (165 bytes, 0x05 'alice' padded): not a workbook; opening it directly must be refused",
         expect="refuse", refuse_contains=[])

    # 8 (xlsx). title rows and totals
    ht = ["品牌ID", "门店ID", "操作人ID", "外部订单号", "操作类型", "金额", "手机号", "备注"]
    data = [["1332", "S001", "op-01", "ORD-0191", "充值", "10000", "18651822226", "会员充值"],
            ["1332", "S001", "op-01", "ORD-0192", "充值", "20000", "18651822227", "充值送券"],
            ["1332", "S002", "op-02", "ORD-0193", "充值", "30000", "18651822228", ""]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "11月充值"
    ws["A1"] = "2026年11月储值充值"
    ws.merge_cells("A1:H1")
    ws["A2"] = "导出日期：2026-11-30"
    for c, v in enumerate(ht, 1):
        ws.cell(4, c, v)
    for i, r in enumerate(data):
        for c, v in enumerate(r, 1):
            if v != "":
                ws.cell(5 + i, c, int(v) if c in (1, 6) else v)
    ws.cell(8, 1, "合计")
    ws.cell(8, 6, 60000)
    wb.save(os.path.join(OUT, "xlsx_title_rows_totals.xlsx"))
    side("xlsx_title_rows_totals.xlsx", W_OPENPYXL,
         "merged title row, export-date row, empty row 3, header on row 4, data, and a 合计 totals row on row 8",
         header_line=4, header=ht,
         rows=[R(5, data[0]), R(6, data[1]), R(7, data[2]), R(8, ["合计", "", "", "", "", "60000", "", ""])],
         cell_problems=[{"line": 8, "column": "品牌ID", "kind": "totals-row"}])


# ---------------------------------------------------------------------------------------------
# hand-written OOXML

CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
      '{sst}</Types>')
CT_SST = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>')
WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
      '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
           '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
           '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
           '{sst}</Relationships>')
WB_RELS_SST = '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
          '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
          '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
          '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
          '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
          '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
          '</styleSheet>')
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(rows_xml):
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet %s><sheetData>%s</sheetData></worksheet>'
            % (NS, "".join(rows_xml)))


def sst_xml(strings):
    si = "".join('<si><t xml:space="preserve">%s</t></si>' % s for s in strings)
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst %s count="%d" uniqueCount="%d">%s</sst>'
            % (NS, len(strings), len(strings), si))


def ooxml(path, sheet, sst=None, stream_part=None):
    """Write a minimal package.  stream_part = (partname, head, chunk, count, tail) streams a huge part."""
    has_sst = sst is not None or (stream_part and stream_part[0] == "xl/sharedStrings.xml")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CT.format(sst=CT_SST if has_sst else ""))
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WB)
        zf.writestr("xl/_rels/workbook.xml.rels", WB_RELS.format(sst=WB_RELS_SST if has_sst else ""))
        zf.writestr("xl/styles.xml", STYLES)
        if sheet is not None:
            zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if sst is not None:
            zf.writestr("xl/sharedStrings.xml", sst)
        if stream_part:
            part, head, chunk, count, tail = stream_part
            with zf.open(part, "w") as w:
                w.write(head.encode())
                for _ in range(count):
                    w.write(chunk)
                w.write(tail.encode())


def cs(ref, idx):
    return '<c r="%s" t="s"><v>%d</v></c>' % (ref, idx)


def cn(ref, v):
    return '<c r="%s"><v>%s</v></c>' % (ref, v)


def row(n, cells):
    return '<row r="%d">%s</row>' % (n, "".join(cells))


def hand_cases():
    # 14b. escapes in hand-written sharedStrings
    strings = ["brand_id", "outer_order_id", "reason", "remark",
               "ORD-0143", "A_x000D_B", "_x4E2D_",
               "ORD-0144", "C_x005F_x0031_", "x_x0009_y"]
    sheet = sheet_xml([
        row(1, [cs("A1", 0), cs("B1", 1), cs("C1", 2), cs("D1", 3)]),
        row(2, [cn("A2", 1332), cs("B2", 4), cs("C2", 5), cs("D2", 6)]),
        row(3, [cn("A3", 1332), cs("B3", 7), cs("C3", 8), cs("D3", 9)]),
    ])
    ooxml(os.path.join(OUT, "xlsx_escape_handwritten.xlsx"), sheet, sst_xml(strings))
    side("xlsx_escape_handwritten.xlsx", W_HAND,
         "sharedStrings with Excel escapes: A_x000D_B is A CR B, _x4E2D_ is 中, C_x005F_x0031_ is literal C_x0031_, x_x0009_y is x TAB y",
         header_line=1, header=["brand_id", "outer_order_id", "reason", "remark"], rows=[
             R(2, ["1332", "ORD-0143", "A\rB", "中"]),
             R(3, ["1332", "ORD-0144", "C_x0031_", "x\ty"])])

    # 15. shared-string index out of range
    strings = ["brand_id", "outer_order_id", "change_value"]
    sheet = sheet_xml([
        row(1, [cs("A1", 0), cs("B1", 1), cs("C1", 2)]),
        row(2, [cn("A2", 1332), '<c r="B2" t="s"><v>99</v></c>', cn("C2", 10000)]),
    ])
    ooxml(os.path.join(OUT, "xlsx_sst_index_out_of_range.xlsx"), sheet, sst_xml(strings))
    side("xlsx_sst_index_out_of_range.xlsx", W_HAND,
         'cell B2 is <c t="s"><v>99</v></c> but sharedStrings.xml has only 3 strings: a corrupt workbook',
         expect="refuse", refuse_contains=[], refuse_contains_any=["corrupt", "shared string"])

    # error value with a cached #N/A (kind error-value)
    strings = ["brand_id", "outer_order_id", "operate_type", "change_value", "customer_id", "ORD-0251", "ORD-0252", "C45861122"]
    sheet = sheet_xml([
        row(1, [cs("A1", 0), cs("B1", 1), cs("C1", 2), cs("D1", 3), cs("E1", 4)]),
        row(2, [cn("A2", 1332), cs("B2", 5), cn("C2", 1), cn("D2", 10000), cs("E2", 7)]),
        row(3, [cn("A3", 1332), cs("B3", 6), cn("C3", 1), cn("D3", 20000),
                '<c r="E3" t="e"><f>VLOOKUP(B3,$A$1:$A$2,1,FALSE)</f><v>#N/A</v></c>']),
    ])
    ooxml(os.path.join(OUT, "xlsx_error_value.xlsx"), sheet, sst_xml(strings))
    side("xlsx_error_value.xlsx", W_HAND,
         "customer_id E3 is =VLOOKUP(B3,$A$1:$A$2,1,FALSE) whose cached (and recomputed) result is the error #N/A: report it, never send '#N/A'",
         header_line=1, header=["brand_id", "outer_order_id", "operate_type", "change_value", "customer_id"], rows=[
             R(2, ["1332", "ORD-0251", "1", "10000", "C45861122"]),
             R(3, ["1332", "ORD-0252", "1", "20000", "#N/A"])],
         cell_problems=[{"line": 3, "column": "customer_id", "kind": "error-value", "contains": "#N/A"}])

    # 21a. sharedStrings.xml that expands to ~300 MB
    BIG = 300 * 1000 * 1000
    chunk = b"A" * (1 << 20)
    count = BIG // len(chunk)
    head_strings = ["brand_id", "outer_order_id", "reason", "ORD-0211"]
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst %s count="5" uniqueCount="5">' % NS +
            "".join("<si><t>%s</t></si>" % s for s in head_strings) + "<si><t>")
    sheet = sheet_xml([row(1, [cs("A1", 0), cs("B1", 1), cs("C1", 2)]),
                       row(2, [cn("A2", 1332), cs("B2", 3), cs("C2", 4)])])
    ooxml(os.path.join(OUT, "xlsx_bomb_sharedstrings.xlsx"), sheet,
          stream_part=("xl/sharedStrings.xml", head, chunk, count, "</t></si></sst>"))
    side("xlsx_bomb_sharedstrings.xlsx", W_HAND,
         "hostile: xl/sharedStrings.xml inflates to ~300 MB (one string of 'A's) from a file under 300 KB",
         expect="refuse", refuse_contains=["too large"], uncompressed_bytes=count * len(chunk))

    # 21b. sheet1.xml with one ~300 MB inline-string cell
    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet %s><sheetData>' % NS +
            '<row r="1"><c r="A1" t="inlineStr"><is><t>brand_id</t></is></c><c r="B1" t="inlineStr"><is><t>reason</t></is></c></row>'
            '<row r="2"><c r="A2"><v>1332</v></c><c r="B2" t="inlineStr"><is><t>')
    tail = "</t></is></c></row></sheetData></worksheet>"
    ooxml(os.path.join(OUT, "xlsx_bomb_inline_string.xlsx"), None,
          stream_part=("xl/worksheets/sheet1.xml", head, chunk, count, tail))
    side("xlsx_bomb_inline_string.xlsx", W_HAND,
         "hostile: sheet1.xml inflates to ~300 MB because cell B2 is one inline string of 'A's",
         expect="refuse", refuse_contains=["too large"], uncompressed_bytes=count * len(chunk))


# ---------------------------------------------------------------------------------------------
# old and other formats

def other_formats():
    # The base is a hand-written flat ODS: LibreOffice's SpreadsheetML 2003 export (an XSLT filter) overflows
    # its recursion limit on sheets loaded from .xlsx (16384 columns), but not on a native 1024-column sheet.
    def fcell(h, v):
        if v == "":
            return "<table:table-cell/>"
        if h in INT_COLS:
            return '<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (v, v)
        return '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>' % v
    trs = ["<table:table-row>" + "".join(fcell("", h) for h in H) + "</table:table-row>"]
    for r in OPS:
        trs.append("<table:table-row>" + "".join(fcell(h, v) for h, v in zip(H, r)) + "</table:table-row>")
    fods = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">'
            '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
            '<table:table-column table:number-columns-repeated="%d"/>' % len(H) +
            "".join(trs) + "</table:table></office:spreadsheet></office:body></office:document>\n")
    base = os.path.join(TMP, "ops_base.fods")
    with open(base, "w", encoding="utf-8") as f:
        f.write(fods)
    conv = [("other_biff8.xls", "xls:MS Excel 97", "xls", ".xls BIFF8 (Excel 97-2003) saved by LibreOffice"),
            ("other_opendocument.ods", "ods:calc8", "ods", ".ods OpenDocument spreadsheet saved by LibreOffice"),
            ("other_spreadsheetml2003.xls", "xml:MS Excel 2003 XML", "xml",
             "SpreadsheetML 2003 XML (LibreOffice filter 'MS Excel 2003 XML') saved with an .xls name")]
    for name, fmt, ext, case in conv:
        od = os.path.join(TMP, "conv_" + ext)
        soffice(base, fmt, od)
        shutil.copy(os.path.join(od, "ops_base." + ext), os.path.join(OUT, name))
        side(name, W_LO, case, header_line=1, header=H, rows=rows_from(OPS),
             refuse_contains_if_unsupported=["save it as .xlsx"])

    def td(v, text):
        style = ' style="mso-number-format:\'\\@\'"' if text else ""
        return "<td%s>%s</td>" % (style, v)
    trs = ["<tr>" + "".join("<th>%s</th>" % h for h in H) + "</tr>"]
    for r in OPS:
        trs.append("<tr>" + "".join(td(v, h not in INT_COLS) for h, v in zip(H, r)) + "</tr>")
    html = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">\r\n'
            '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\r\n'
            '<body><table border="1">\r\n' + "\r\n".join(trs) + "\r\n</table></body></html>\r\n")
    put("other_html_table.xls", html.encode("utf-8"))
    side("other_html_table.xls", W_HAND,
         "an HTML <table> saved with an .xls name (what many web back-ends export); text cells carry mso-number-format:'\\@'",
         header_line=1, header=H, rows=rows_from(OPS), refuse_contains_if_unsupported=["save it as .xlsx"])


def mapping_files():
    text = ('# 会员导出文件的列映射\n'
            '会员手机: mobile\n'
            'constants:\n'
            '  brand_id: "1332"\n')
    for name, raw, case in [
            ("mapping_gbk.yaml", text.encode("gbk"), "header mapping file saved in GBK (Windows Notepad, ANSI on a Chinese system)"),
            ("mapping_bom.yaml", b"\xef\xbb\xbf" + text.encode("utf-8"), "header mapping file saved as UTF-8 with a BOM")]:
        put(name, raw)
        d = {"writer": W_HAND, "case": case, "expect": "read",
             "mapping": {"会员手机": "mobile"}, "constants": {"brand_id": "1332"}}
        write_json(os.path.join(OUT, name + ".expect.json"), d)


def clean():
    """Remove every generated file (all of the corpus but gen/)."""
    for e in os.listdir(OUT):
        p = os.path.join(OUT, e)
        if e == "gen":
            continue
        shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def main():
    os.makedirs(OUT, exist_ok=True)
    clean()
    csv_cases()
    xlsx_cases()
    hand_cases()
    other_formats()
    mapping_files()
    shutil.rmtree(TMP, ignore_errors=True)
    env = dict(os.environ, NODE_PATH=os.environ.get("SHEETJS_NODE_MODULES", "/tmp/sheetjs/node_modules"))
    subprocess.run(["node", os.path.join(HERE, "gen_sheetjs.js")], check=True, env=env)
    print("wrote corpus to", OUT)


if __name__ == "__main__":
    sys.exit(main())
