#!/usr/bin/env python3
"""Cut the `pycode-completion` workload of `wattserve bench` from the held-out split.

The pycode models never trained on the held-out split of build_corpus.py (files of the Python
3.11 standard library whose sha256(relative path) % 100 < 5). This script reads the same files
with the same rules (build_corpus.collect / is_heldout, the same size limit and the same
\\r\\n and tab replacement) and cuts code-completion prompts from their functions:

- every function (def / async def, methods included) with at least two statements before a
  cut point is a candidate; the cut is at the start of a statement of its body (not its
  docstring, not the first statement), chosen by sha256("PATH:LINE") among the statements whose
  cut leaves at most MAX_PROMPT_LINES lines of prompt;
- prompt = the function's lines from its `def` line up to the cut, plus the cut line's
  indentation (the cursor sits where the next statement starts);
- reference = the true continuation: the rest of the cut line and the next line, at most
  MAX_REFERENCE_CHARS characters (no trailing newline);
- candidates are ordered by sha256("PATH:LINE"); at most PER_FILE per file, COUNT in all.

Output (deterministic, byte-identical between runs): JSONL, one object a line with "id",
"prompt", "reference" and "source" ("relative/path.py:LINE" of the cut line, 1-based).

Usage: make_prompts.py [--root /usr/lib/python3.11] [--out data/workloads/pycode-completion.jsonl]
"""
import argparse, ast, hashlib, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_corpus import collect, is_heldout  # noqa: E402  (the split the models were built with)

COUNT = 64
PER_FILE = 4
MAX_PROMPT_LINES = 16
MAX_PROMPT_CHARS = 700  # the pycode models hold 256 tokens; ~3 chars a token
MAX_REFERENCE_CHARS = 64
MAX_FILE_BYTES = 200_000  # build_corpus.py's default --max-file-bytes


def key(rel, line):
    return hashlib.sha256(f"{rel}:{line}".encode()).hexdigest()


def is_docstring(stmt):
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))


def body_statements(fn, lines):
    """Lines of fn's body (nested blocks too, nested defs left out) that begin with a statement:
    a statement starts there at the line's indentation."""
    out = []

    def walk(stmts):
        for s in stmts:
            if is_docstring(s):
                continue
            text = lines[s.lineno - 1]
            if s.col_offset == len(text) - len(text.lstrip(" ")):
                out.append(s.lineno)
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for field in ("body", "orelse", "finalbody"):
                walk(getattr(s, field, []) or [])
            for h in getattr(s, "handlers", []) or []:
                walk(h.body)
            for c in getattr(s, "cases", []) or []:
                walk(c.body)

    walk(fn.body)
    return sorted(set(out))


def cut(rel, lines, fn):
    """The (prompt, reference, cut line) of one function, or None."""
    starts = body_statements(fn, lines)
    ok = []
    for ln in starts[2:]:  # at least two statements of the body before the cut
        if ln - fn.lineno > MAX_PROMPT_LINES:
            break
        text = lines[ln - 1]
        stripped = text.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        indent = text[: len(text) - len(stripped)]
        prompt = "".join(l + "\n" for l in lines[fn.lineno - 1 : ln - 1]) + indent
        nxt = lines[ln] if ln < len(lines) else ""
        reference = (stripped + "\n" + nxt).rstrip()[:MAX_REFERENCE_CHARS].rstrip()
        if len(prompt) > MAX_PROMPT_CHARS or len(reference) < 8:
            continue
        ok.append((prompt, reference, ln))
    if not ok:
        return None
    return ok[int(key(rel, fn.lineno), 16) % len(ok)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/lib/python3.11")
    ap.add_argument("--out", default="data/workloads/pycode-completion.jsonl")
    a = ap.parse_args()
    candidates = []
    for p in collect(a.root):
        rel = os.path.relpath(p, a.root)
        if not is_heldout(rel):
            continue
        try:
            with open(p, "rb") as fh:
                raw = fh.read()
            text = raw.decode("utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if len(raw) > MAX_FILE_BYTES or not text.strip():
            continue
        text = text.replace("\r\n", "\n").replace("\t", "    ")  # as build_corpus.py
        lines = text.split("\n")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                c = cut(rel, lines, node)
                if c:
                    candidates.append((key(rel, c[2]), rel, *c))
    candidates.sort()
    per_file, chosen = {}, []
    for _, rel, prompt, reference, ln in candidates:
        if per_file.get(rel, 0) >= PER_FILE:
            continue
        per_file[rel] = per_file.get(rel, 0) + 1
        chosen.append((rel, ln, prompt, reference))
        if len(chosen) == COUNT:
            break
    chosen.sort(key=lambda c: (c[0], c[1]))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for i, (rel, ln, prompt, reference) in enumerate(chosen):
            rec = {"id": f"pycode-{i:03d}", "prompt": prompt, "reference": reference,
                   "source": f"{rel}:{ln}"}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    os.replace(tmp, a.out)
    print(f"{a.out}: {len(chosen)} prompts from {len(per_file)} held-out files "
          f"({len(candidates)} candidates)", file=sys.stderr)


if __name__ == "__main__":
    main()
