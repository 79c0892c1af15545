"""Readers for the datasets' real file formats. Each yields records lazily and names the
file and line of a malformed record."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator

__all__ = ["read_label_text_csv", "read_lines", "read_tsv", "read_ptb", "read_parallel",
           "read_imdb"]


def read_label_text_csv(path: str) -> Iterator[tuple[int, str]]:
    """AG_NEWS / Yelp CSV: ``"label","field",…`` → ``(int(label), " ".join(fields))``."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        for row in reader:
            if len(row) < 2:
                raise ValueError(f"{path}, line {reader.line_num}: expected "
                                 f"\"label\",\"text\",…, got {row!r}")
            try:
                label = int(row[0])
            except ValueError:
                raise ValueError(f"{path}, line {reader.line_num}: label {row[0]!r} is not "
                                 "an integer") from None
            yield label, " ".join(row[1:])


def read_lines(path: str, strip_newline: bool = False) -> Iterator[str]:
    """The file's lines (WikiText's ``.tokens``: newline kept, as torchtext yields them)."""
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            yield line.rstrip("\r\n") if strip_newline else line


def read_tsv(path: str, labelled: bool) -> Iterator[tuple]:
    """SST-2 TSV with a header line: ``sentence<TAB>label`` → ``(text, int(label))``; the
    unlabelled test file ``index<TAB>sentence`` → ``(text,)``."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader, None)  # header
        for row in reader:
            if len(row) < 2:
                raise ValueError(f"{path}, line {reader.line_num}: expected 2 tab-separated "
                                 f"fields, got {row!r}")
            if labelled:
                try:
                    yield row[0].strip(), int(row[1])
                except ValueError:
                    raise ValueError(f"{path}, line {reader.line_num}: label {row[1]!r} is "
                                     "not an integer") from None
            else:
                yield (row[1].strip(),)


def read_ptb(path: str) -> Iterator[str]:
    """PTB ``.txt``: each line is `` w1 w2 … wn `` + newline; yields ``w1 … wn``."""
    for line in read_lines(path, strip_newline=True):
        yield line[1:-1]


def read_parallel(src_path: str, tgt_path: str) -> Iterator[tuple[str, str]]:
    """Two line-aligned files → ``(source line, target line)`` pairs."""
    with open(src_path, encoding="utf-8") as src, open(tgt_path, encoding="utf-8") as tgt:
        for number, s in enumerate(src, start=1):
            t = tgt.readline()
            if not t:
                raise ValueError(f"{tgt_path} has fewer lines ({number - 1}) than {src_path}")
            yield s.rstrip("\n"), t.rstrip("\n")
        if tgt.readline():
            raise ValueError(f"{tgt_path} has more lines than {src_path}")


def read_imdb(split_dir: str) -> Iterator[tuple[int, str]]:
    """The aclImdb tree: ``<split>/neg/*.txt`` (label 1) then ``<split>/pos/*.txt`` (label 2),
    files in name order; the review text is the file's content."""
    for label, folder in ((1, "neg"), (2, "pos")):
        directory = os.path.join(split_dir, folder)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"IMDB: missing folder {directory}")
        for name in sorted(os.listdir(directory)):
            if name.endswith(".txt"):
                with open(os.path.join(directory, name), encoding="utf-8") as f:
                    yield label, f.read()
