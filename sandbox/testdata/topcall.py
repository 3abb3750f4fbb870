#!/usr/bin/env python3
"""An independent TOP client for the sandbox's tests: Python 3 standard library only.

It signs per TOP's published rules (not svbatch's Go code): take every parameter except `sign` and
except empty values, sort the keys, concatenate key+value; for /router/batch append the whole body;
md5 = UPPERHEX(MD5(secret + s + secret)), hmac = UPPERHEX(HMAC-MD5(secret, s)),
hmac-sha256 = UPPERHEX(HMAC-SHA256(secret, s)).

It reads one JSON job on stdin and writes one JSON report on stdout:

  {"rest": URL, "batch": URL, "app_key": K, "secret": S, "timestamp": "yyyy-MM-dd HH:mm:ss",
   "sign_method": "hmac-sha256", "steps": [STEP, ...]}

STEP is one of
  {"op": "vectors", "file": PATH}                       check the signing vectors
  {"op": "rest", "method": M, "param": NAME, "req": {...}}
  {"op": "batch", "public": {...} | null, "parts": [{...} | null, ...],
   "separator": SEP | null, "sign_body": true, "bad_sign": false}
  {"op": "pages", "param": NAME, "req": {...}, "page_size": N}   page accountflows.get to the end

Exit status 0 unless the job itself is malformed; every finding is in the report.
"""

import hashlib
import hmac
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_SEPARATOR = "\r\n-S-\r\n"
FLOWS_KEY = "alibaba_alsc_crm_recharge_accountflows_get_response"
FLOW_FIELDS = ("flow_id", "flow_type", "account_id", "card_id", "brand_id", "shop_id", "order_value",
               "current_value", "order_time", "outer_order_id",
               "before_property_list", "affected_property_list", "after_property_list")


def string_to_sign(params):
    return "".join(k + params[k] for k in sorted(params) if k != "sign" and params[k] != "")


def digest(s, secret, method):
    if method == "md5":
        return hashlib.md5((secret + s + secret).encode("utf-8")).hexdigest().upper()
    if method == "hmac":
        return hmac.new(secret.encode("utf-8"), s.encode("utf-8"), hashlib.md5).hexdigest().upper()
    if method == "hmac-sha256":
        return hmac.new(secret.encode("utf-8"), s.encode("utf-8"), hashlib.sha256).hexdigest().upper()
    raise ValueError("sign method " + method)


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def post(url, data, content_type, headers=None):
    h = {"Content-Type": content_type}
    h.update(headers or {})
    req = urllib.request.Request(url, data=data.encode("utf-8"), headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8"), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8"), dict(e.headers)


def system_params(job):
    return {"app_key": job["app_key"], "timestamp": job["timestamp"], "format": "json", "v": "2.0",
            "sign_method": job.get("sign_method", "hmac-sha256")}


def rest(job, method, param, req):
    p = system_params(job)
    p["method"] = method
    p[param] = req if isinstance(req, str) else compact(req)
    p["sign"] = digest(string_to_sign(p), job["secret"], p["sign_method"])
    status, body, _ = post(job["rest"], urllib.parse.urlencode(p), "application/x-www-form-urlencoded;charset=utf-8")
    return status, json.loads(body)


def encode_part(part):
    if part is None:
        return "N"
    return urllib.parse.urlencode({k: (v if isinstance(v, str) else compact(v)) for k, v in part.items()})


def batch(job, step):
    sep = step.get("separator") or DEFAULT_SEPARATOR
    chunks = []
    if step.get("public"):
        chunks.append("#PUBLIC#" + urllib.parse.urlencode(step["public"]))
    chunks.extend(encode_part(p) for p in step["parts"])
    body = sep.join(chunks)
    p = system_params(job)
    signed = string_to_sign(p) + (body if step.get("sign_body", True) else "")
    p["sign"] = digest(signed, job["secret"], p["sign_method"])
    if step.get("bad_sign"):
        p["sign"] = "0" * len(p["sign"])
    headers = {"top-api-separator": sep} if step.get("separator") else {}
    status, text, _ = post(job["batch"] + "?" + urllib.parse.urlencode(p), body, "text/plain;charset=UTF-8", headers)
    parts = text.split(sep)
    return {"http": status, "count": len(parts), "parts": [json.loads(x) for x in parts]}


def check_flow(f):
    """The problems of one flow, from DESIGN.md's field list and arithmetic."""
    problems = ["missing " + k for k in FLOW_FIELDS if k not in f]
    if problems:
        return problems
    for k in ("order_value", "current_value"):
        if not isinstance(f[k], int):
            problems.append(k + " is not an integer")
    lists = {name: {p["type"]: p["value"] for p in f[name]} for name in
             ("before_property_list", "affected_property_list", "after_property_list")}
    for typ, after in lists["after_property_list"].items():
        if lists["before_property_list"].get(typ, 0) + lists["affected_property_list"].get(typ, 0) != after:
            problems.append("%s before + affected != after" % typ)
    if lists["affected_property_list"].get("TOTAL") != f["order_value"]:
        problems.append("TOTAL affected != order_value")
    if lists["after_property_list"].get("TOTAL") != f["current_value"]:
        problems.append("TOTAL after != current_value")
    return problems


def pages(job, step):
    flows, calls, total = [], 0, None
    req = dict(step["req"])
    req["page_size"] = step["page_size"]
    page_no = 1
    while True:
        req["page_no"] = page_no
        status, answer = rest(job, "alibaba.alsc.crm.recharge.accountflows.get", step["param"], req)
        calls += 1
        if "error_response" in answer:
            return {"error": answer["error_response"], "calls": calls}
        result = answer[FLOWS_KEY]["result"]
        total = result["total_size"]
        got = result["result_list"]
        flows.extend(got)
        if not got or len(flows) >= total:
            break
        page_no += 1
    problems = {f.get("flow_id", "?"): check_flow(f) for f in flows}
    return {"calls": calls, "total": total, "flows": flows,
            "problems": {k: v for k, v in problems.items() if v}}


def vectors(path):
    with open(path, encoding="utf-8") as fh:
        cases = json.load(fh)["cases"]
    bad = []
    for i, c in enumerate(cases):
        s = string_to_sign(c["params"])
        if s != c["string_to_sign"]:
            bad.append("case %d: string to sign differs" % i)
        if digest(s, c["secret"], c["sign_method"]) != c["sign"]:
            bad.append("case %d: sign differs" % i)
    return {"checked": len(cases), "bad": bad}


def main():
    job = json.load(sys.stdin)
    out = []
    for step in job["steps"]:
        op = step["op"]
        if op == "vectors":
            out.append(vectors(step["file"]))
        elif op == "rest":
            status, answer = rest(job, step["method"], step["param"], step["req"])
            out.append({"http": status, "body": answer})
        elif op == "batch":
            out.append(batch(job, step))
        elif op == "pages":
            out.append(pages(job, step))
        else:
            raise SystemExit("unknown op " + op)
    json.dump({"steps": out}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
