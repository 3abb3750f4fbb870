#!/usr/bin/python3
"""Check every fixture of the corpus against its sidecar with readers independent of svbatch.

  /usr/bin/python3 gen/verify.py          (from table/testdata/corpus/; needs soffice and openpyxl)

- workbooks (.xlsx .xls .ods): LibreOffice opens the file and exports every sheet to CSV with
  "save cell contents as shown", i.e. the text a person sees; those rows must equal the sidecar's.
  openpyxl then checks the facts behind the cell problems and warnings (cached values, number
  formats, hidden rows and columns).
- CSV/TXT: Python's csv module with the encoding the sidecar implies; ="..." ERP wrappers unwrapped.
- refusals: the reason for refusing is confirmed (strict csv error, dangling shared string index,
  inflated part size, not a zip).
Exits non-zero on any mismatch.
"""
import csv
import glob
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
TMP = tempfile.mkdtemp(prefix="svverify-")
LO_PROFILE = "file:///tmp/lo-profile-svverify"
FAIL = []


def fail(name, msg):
    FAIL.append("%s: %s" % (name, msg))
    print("FAIL", name, msg)


def table_from_records(records):
    """records: list of (line, cells). Return {line: cells} for non-empty records, trailing blanks trimmed."""
    out = {}
    for line, cells in records:
        cells = list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            out[line] = cells
    return out


# Cells where LibreOffice, the independent reader, displays something other than Excel does, and why.
KNOWN = {
    # LibreOffice 7.4 decodes only control-character escapes (_x000D_, _x0009_) and _x005F_ in
    # shared strings and keeps _x4E2D_ as typed; Excel decodes every _xHHHH_ escape.
    ("xlsx_escape_handwritten.xlsx", 2, 3): "_x4E2D_",
}


def compare(name, exp, got):
    """exp: sidecar; got: {line: cells} for the whole sheet."""
    hl = exp["header_line"]
    alt = {k[1:]: v for k, v in KNOWN.items() if k[0] == name}
    # formula cells without a usable cached value: LibreOffice shows what it recalculates (openpyxl's
    # missing values) or the stale cache (XlsxWriter's 0: it does not honour fullCalcOnLoad)
    if "stale_cached_value" in exp:
        for p in exp.get("cell_problems", []):
            if p["kind"] == "formula-no-value":
                alt[(p["line"], exp["header"].index(p["column"]))] = exp["stale_cached_value"]
    want = {hl: exp["header"]}
    for r in exp["rows"]:
        want[r["line"]] = r["cells"]
    got = {k: v for k, v in got.items() if k >= hl}
    for line in sorted(set(want) | set(got)):
        w = list(want.get(line, []))
        g = list(got.get(line, []))
        while w and w[-1] == "":
            w.pop()
        for (l, c), v in alt.items():
            if l == line and c < len(g) and c < len(w) and g[c] == v and w[c] != v:
                print("note", name, "line %d col %d: LibreOffice shows %r, sidecar (Excel) %r" % (line, c + 1, v, w[c]))
                g[c] = w[c]
        if w != g:
            fail(name, "line %d: sidecar %r, reader %r" % (line, w, g))


# ---------------------------------------------------------------------------------------------

def lo_sheets(path):
    """Export every sheet as shown; return {sheet_name: {line: cells}}."""
    d = tempfile.mkdtemp(dir=TMP)
    src = os.path.join(d, "in" + os.path.splitext(path)[1])
    shutil.copy(path, src)
    subprocess.run(["soffice", "-env:UserInstallation=" + LO_PROFILE, "--headless", "--convert-to",
                    'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1',
                    "--outdir", d, src], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    for f in glob.glob(os.path.join(d, "in-*.csv")) + glob.glob(os.path.join(d, "in.csv")):
        sheet = os.path.basename(f)[3:-4] if os.path.basename(f) != "in.csv" else ""
        with open(f, encoding="utf-8", newline="") as fh:
            recs = list(enumerate(csv.reader(fh), 1))
        out[sheet] = table_from_records(recs)
    return out


def check_workbook(name, path, exp):
    sheets = lo_sheets(path)
    want = exp.get("read_sheet")
    if want is None:
        # the first sheet that has content (as LibreOffice orders them)
        if len(sheets) == 1:
            want = next(iter(sheets))
        elif path.endswith(".xlsx"):
            want = openpyxl.load_workbook(path).sheetnames[0]
        else:
            want = sorted(sheets)[0]
    if want not in sheets:
        fail(name, "LibreOffice exported sheets %r, not %r" % (list(sheets), want))
        return
    compare(name, exp, sheets[want])


def openpyxl_facts(name, path, exp):
    wb_f = openpyxl.load_workbook(path)
    wb_v = openpyxl.load_workbook(path, data_only=True)
    sheet = exp.get("read_sheet") or wb_f.worksheets[0].title
    ws_f, ws_v = wb_f[sheet], wb_v[sheet]
    hdr = [c.value for c in ws_f[exp["header_line"]]]
    col = {h: i + 1 for i, h in enumerate(hdr)}
    for p in exp.get("cell_problems", []):
        cf = ws_f.cell(p["line"], col[p["column"]])
        cv = ws_v.cell(p["line"], col[p["column"]])
        k = p["kind"]
        if k == "formula-no-value":
            if not (isinstance(cf.value, str) and cf.value.startswith("=")):
                fail(name, "%s%d is not a formula" % (cf.column_letter, cf.row))
            stale = exp.get("stale_cached_value")
            if stale is None and cv.value is not None:
                fail(name, "%s has cached value %r" % (cf.coordinate, cv.value))
            if stale is not None and str(cv.value) != stale:
                fail(name, "%s cached %r, not %r" % (cf.coordinate, cv.value, stale))
        elif k == "scientific":
            if "E+" not in cf.number_format or str(cf.value) != p["stored_value"]:
                fail(name, "%s: %r %r" % (cf.coordinate, cf.value, cf.number_format))
        elif k == "date":
            if not cf.is_date:
                fail(name, "%s is not a date cell" % cf.coordinate)
        elif k == "error-value":
            if cv.value != "#N/A":
                fail(name, "%s cached %r" % (cf.coordinate, cv.value))
        elif k == "totals-row":
            if cf.value != "合计":
                fail(name, "%s is %r" % (cf.coordinate, cf.value))
    for w in exp.get("warnings", []):
        if w["kind"] == "hidden-rows":
            hidden = sorted(r for r, d in ws_f.row_dimensions.items() if d.hidden)
            if hidden != w["lines"]:
                fail(name, "hidden rows %r" % hidden)
        if w["kind"] == "hidden-columns":
            hidden = sorted(k for k, d in ws_f.column_dimensions.items() if d.hidden)
            if hidden != w["letters"]:
                fail(name, "hidden columns %r" % hidden)
        if w["kind"] == "lock-file":
            lock = os.path.join(os.path.dirname(path), w["file"])
            b = open(lock, "rb").read()
            if not (len(b) == 165 and b[0] == 5 and b[1:6] == b"alice"):
                fail(name, "lock file bytes")
    # formulas whose values must be read: cached values present
    if not exp.get("cell_problems"):
        for row in ws_f.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    if ws_v[c.coordinate].value is None:
                        fail(name, "%s formula without cached value" % c.coordinate)


# ---------------------------------------------------------------------------------------------

def decode_text(name, raw):
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    if "gbk" in name:
        return raw.decode("gbk")
    return raw.decode("utf-8")


ERP = re.compile(r'^="(.*)"$')


def check_csv(name, path, exp):
    raw = open(path, "rb").read()
    text = decode_text(name, raw)
    delim = "\t" if raw.startswith(b"\xff\xfe") else ","
    m = re.match(r"sep=(.)\r?\n", text)
    if m:  # Excel uses the sep= line and does not show it
        delim = m.group(1)
        text = text[m.end():]
    strict = exp["expect"] == "refuse"
    rd = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=strict)
    recs = []
    try:
        # Rows as Excel numbers them: one a record (a blank line too), however many text lines
        # a quoted field with line breaks spans.
        for i, cells in enumerate(rd):
            recs.append((i + 1, [ERP.sub(r"\1", c) for c in cells]))
    except csv.Error as e:
        if strict:
            print("ok  ", name, "refused by python csv (strict) after line %d: %s" % (rd.line_num, e))
            return
        fail(name, "csv error %s" % e)
        return
    if strict:
        fail(name, "python csv (strict) accepted it")
        return
    compare(name, exp, table_from_records(recs))


def check_refusal(name, path, exp):
    if name.endswith("~$ops.xlsx"):
        if zipfile.is_zipfile(path):
            fail(name, "is a zip")
        return
    if "sst_index" in name:
        with zipfile.ZipFile(path) as z:
            sst = z.read("xl/sharedStrings.xml").decode()
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        n = sst.count("<si>")
        idx = [int(v) for v in re.findall(r't="s"><v>(\d+)</v>', sheet)]
        if max(idx) < n:
            fail(name, "no dangling index")
        try:
            wb = openpyxl.load_workbook(path)
            v = wb.active["B2"].value
            print("note", name, "openpyxl loads it; B2 =", repr(v))
        except Exception as e:  # openpyxl raises IndexError
            print("ok  ", name, "openpyxl refuses:", type(e).__name__, e)
        return
    if "bomb" in name:
        with zipfile.ZipFile(path) as z:
            big = max(z.infolist(), key=lambda i: i.file_size)
        if big.file_size < 250_000_000 or os.path.getsize(path) > 400_000:
            fail(name, "sizes %d/%d" % (big.file_size, os.path.getsize(path)))
        print("ok  ", name, "%s inflates to %d bytes from %d" % (big.filename, big.file_size, os.path.getsize(path)))
        return
    if name == "xlsx_first_sheet_notes.xlsx":
        wb = openpyxl.load_workbook(path)
        if wb.sheetnames != ["Notes", "Data"]:
            fail(name, "sheets %r" % wb.sheetnames)
        sub = exp["read_with_options"]
        compare(name + "[--sheet Data]", sub, lo_sheets(path)[sub["options"]["sheet"]])
        return
    if name.endswith(".csv"):
        check_csv(name, path, exp)
        return
    fail(name, "no refusal check")


def check_yaml(name, path, exp):
    raw = open(path, "rb").read()
    text = raw[3:].decode("utf-8") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gbk")
    ok = all(("%s: %s" % (k, v)) in text for k, v in exp["mapping"].items()) and \
        all(('%s: "%s"' % (k, v)) in text for k, v in exp["constants"].items())
    if "gbk" in name:
        try:
            raw.decode("utf-8")
            fail(name, "GBK file decodes as UTF-8")
        except UnicodeDecodeError:
            pass
    if not ok:
        fail(name, "mapping text")


def main():
    sidecars = sorted(glob.glob(os.path.join(CORPUS, "**", "*.expect.json"), recursive=True))
    total = 0
    for sc in sidecars:
        path = sc[: -len(".expect.json")]
        name = os.path.relpath(path, CORPUS)
        exp = json.load(open(sc, encoding="utf-8"))
        total += 1
        n0 = len(FAIL)
        if not os.path.exists(path):
            fail(name, "missing")
            continue
        if os.path.getsize(path) > 300 * 1024:
            fail(name, "larger than 300 KB")
        ext = os.path.splitext(path)[1].lower()
        if ext == ".yaml":
            check_yaml(name, path, exp)
        elif exp["expect"] == "refuse":
            check_refusal(name, path, exp)
        elif ext in (".csv", ".txt"):
            check_csv(name, path, exp)
        else:
            check_workbook(name, path, exp)
            if ext == ".xlsx":
                openpyxl_facts(name, path, exp)
        if len(FAIL) == n0:
            print("ok  ", name)
    size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(CORPUS, "**", "*"), recursive=True)
               if os.path.isfile(f))
    print("corpus size %d bytes" % size)
    if size > 3 * 1024 * 1024:
        fail("corpus", "larger than 3 MB")
    shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (total - len({f.split(':')[0] for f in FAIL}), len({f.split(':')[0] for f in FAIL})))
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
