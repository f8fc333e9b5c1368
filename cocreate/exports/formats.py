"""The export formats, each a function that yields the file's bytes, so that a download
can start before the file is complete where the format allows it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cocreate.consultations.models import Consultation
from cocreate.exports.options import ExportOptions

Writer = Callable[[Consultation, ExportOptions], Iterator[bytes]]


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    extension: str
    write: Writer


# Filled by each format's module through `register`; see `formats()`.
_FORMATS: dict[str, Format] = {}


def register(name: str, media_type: str, extension: str) -> Callable[[Writer], Writer]:
    def decorate(write: Writer) -> Writer:
        _FORMATS[name] = Format(name, media_type, extension, write)
        return write

    return decorate


def formats() -> dict[str, Format]:
    """Every format, by name (csv, xlsx, json, pdf)."""
    return dict(_FORMATS)
