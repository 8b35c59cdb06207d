from collections.abc import Callable
from typing import Any

import pytest

from transfer.importing import Report, prepare, run
from transfer.values import Options


def csv_bytes(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8",
              bom: bool = False) -> bytes:
    text = "\r\n".join(delimiter.join(cell for cell in row) for row in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


@pytest.fixture
def dry_run(db: Any) -> Callable[..., Report]:
    def go(content: bytes, kind: str | None = None, *, filename: str = "file.csv",
           commit: bool = False, actor: Any = None, **options: str) -> Report:
        return run(prepare(content, filename, kind, encoding=options.get("encoding", "")),
                   options=Options.from_dict(options),
                   actor=actor, commit=commit)
    return go
