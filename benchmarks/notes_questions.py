"""Write the Python-docs question set (``tui_agent/envs/docqa/data/python_docs_questions.json``) from the facts.

Each fact of ``benchmarks/data/python_docs_facts.py`` names a page, a section title and a short answer,
and asks it two ways: the first phrasing goes to the train split, the second to the test split (a user
asking again in other words). The gold section is the heading path of the page's section with that
title (the last heading, case-insensitive; markup removed) that contains the answer; a fact whose
answer is in no such section is reported and left out. Answers are matched case-insensitively with
whitespace collapsed, as the benchmark matches them.

The file is package data, read by :func:`tui_agent.envs.docqa.questions.load_questions` (the DocQA
environment and ``benchmarks/notes_eval.py``).

Run: ``.venv/bin/python benchmarks/notes_questions.py [--out FILE] [--check]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "data"))


def norm(text: str) -> str:
    return " ".join(text.lower().split())


def sections_by_page() -> dict[str, dict[str, str]]:
    """``{page: {heading path: the text of its chunks, joined}}`` as the notes store them."""
    from tui_agent.notes.builtin import builtin_files
    from tui_agent.notes.ingest import chunk_document, read_document

    pages: dict[str, dict[str, str]] = {}
    for path, _source in builtin_files("python-docs"):
        page = path.name.removesuffix(".rst")
        texts: dict[str, list[str]] = {}
        for heading, text in chunk_document(read_document(path), "rst"):
            texts.setdefault(heading, []).append(text)
        pages[page] = {h: norm("\n".join(t)) for h, t in texts.items()}
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: the package's tui_agent/envs/docqa/data/python_docs_questions.json)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file differs from what the facts give")
    args = parser.parse_args(argv)

    from python_docs_facts import FACTS

    from tui_agent.envs.docqa.questions import questions_file
    from tui_agent.notes.schema import HEADING_SEP

    out = args.out or questions_file()
    pages = sections_by_page()
    questions, problems = [], []
    for i, (page, title, answer, q_train, q_test) in enumerate(FACTS):
        secs = pages[page]
        want = norm(title)
        hits = [h for h, text in secs.items() if norm(h.split(HEADING_SEP)[-1]) == want and norm(answer) in text]
        if not hits:
            hits = [h for h, text in secs.items() if want in norm(h) and norm(answer) in text]
        if not hits:
            where = [h.split(HEADING_SEP)[-1] for h, text in secs.items() if norm(answer) in text][:4]
            problems.append(f"{page} / {title} / {answer!r}: not in that section (found in: {where})")
            continue
        for split, question in (("train", q_train), ("test", q_test)):
            questions.append({"id": f"{i:03d}-{split}", "fact": i, "split": split, "question": question,
                              "answer": answer, "page": page, "source": f"builtin:python-docs/library/{page}.rst",
                              "heading": hits[0]})
    for p in problems:
        print("left out:", p)
    text = json.dumps(questions, indent=1, ensure_ascii=False) + "\n"
    n_train = sum(q["split"] == "train" for q in questions)
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print(f"{len(questions)} questions ({n_train} train, {len(questions) - n_train} test); "
              f"{out} {'is up to date' if same else 'differs'}")
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"{len(questions)} questions ({n_train} train, {len(questions) - n_train} test) → {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
