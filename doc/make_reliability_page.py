"""Write doc/reliability.md from the case table in tests/test_reliability.py.

Usage: ``python doc/make_reliability_page.py`` (``--check`` only reports whether the
committed page is up to date, with exit status 1 if not).
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_tests():
    spec = importlib.util.spec_from_file_location(
        "test_reliability", ROOT / "tests" / "test_reliability.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    tests = load_tests()
    page = tests.render_page()
    if "--check" in argv:
        ok = tests.PAGE.read_text() == page
        print("doc/reliability.md is up to date" if ok else "doc/reliability.md is out of date")
        return 0 if ok else 1
    tests.PAGE.write_text(page)
    print(f"wrote {tests.PAGE.relative_to(ROOT)} ({len(tests.CASES)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
