"""What a reader's exception says about the file, in a sentence a user understands.

The parser process (ingest/sandbox_serve.py), where files are read, and the job layer
(jobs/failures.py), which decides what is retried, both describe a damaged file with these
words, so a broken PDF reads the same wherever it was found. Only the standard library and
the readers' own libraries are imported: the parser process loads neither the database nor
the embedding model.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
import zipfile
from xml.parsers.expat import ExpatError

import pypdfium2 as pdfium
from lxml import etree  # python-docx's and python-pptx's parser

_XML_REFUSED = (etree.XMLSyntaxError, ElementTree.ParseError, ExpatError)
# openpyxl reads through defusedxml when it is installed (it is optional): its refusals of
# entity expansion are recognised by their module, so casework need not depend on it.
_DEFUSEDXML = "defusedxml"


def unreadable_file_reason(exc: BaseException) -> str | None:
    """The sentence for an exception that a damaged or hostile file causes; else None."""
    if isinstance(exc, MemoryError):
        return "the file needs more memory to read than this server allows"
    if isinstance(exc, RecursionError):
        return "the file is nested too deeply to read (damaged, or built to crash readers)"
    if isinstance(exc, zipfile.BadZipFile):
        return "the file is damaged: it is not a readable zip container (as Office files are)"
    if isinstance(exc, pdfium.PdfiumError):
        return f"the PDF is damaged or cannot be read ({exception_text(exc)})"
    if isinstance(exc, _XML_REFUSED) or type(exc).__module__.startswith(_DEFUSEDXML):
        return ("the file's XML was refused: it is damaged, or built to exhaust memory "
                "(entity expansion)")
    if isinstance(exc, UnicodeError):
        return "the file's text could not be decoded"
    return None


def exception_text(exc: BaseException) -> str:
    return str(exc).strip()[:1000] or exc.__class__.__name__
