"""How deeply a JSON text nests, measured without parsing it and without recursion.

Python's JSON parser, pydantic and every walk over a decoded value recurse once per level of
nesting, so a few kilobytes of brackets (``[[[[...]]]]``) exhaust the interpreter's stack
somewhere between the parser and the handler. The server therefore measures the nesting of
every body and frame first, with a loop over the brackets outside string literals, and refuses
texts that nest deeper than its limit before anything parses them.

Texts with no more brackets than the limit cannot nest deeper than it, so ordinary requests
are passed after two ``count`` calls; only texts with many brackets are scanned.
"""

from __future__ import annotations

import re
from typing import Final

#: A JSON string literal (escapes included), or one bracket. Strings are matched so that the
#: brackets inside them are skipped; an unterminated string leaves its brackets to be counted,
#: which can only refuse text that is no JSON anyway.
_TOKEN: Final[re.Pattern[str]] = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def nests_deeper_than(text: str | bytes, limit: int) -> bool:
    """Whether the JSON ``text`` opens more than ``limit`` arrays or objects inside each other.

    Decides in one pass, stopping at the first bracket past the limit; the stack depth used is
    constant whatever the input. Bytes need not be UTF-8: brackets, quotes and backslashes are
    ASCII, so reading each byte as one character (Latin-1) finds them all."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return True
        elif token == "]" or token == "}":
            depth -= 1
    return False


def too_deep_message(limit: int) -> str:
    """The refusal every route and frame gives, naming the limit."""
    return f"JSON nested more than {limit} levels deep; this server's limit is {limit}"
