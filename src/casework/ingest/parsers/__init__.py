"""Parsers registered by media type: adding a format is one module and one line here."""

from casework.ingest.parsers.archive import SevenZipParser, TarParser, ZipParser
from casework.ingest.parsers.audio import AudioParser
from casework.ingest.parsers.base import (
    EmbeddedFile,
    ExtractedPage,
    ParsedDocument,
    ParseError,
    Parser,
)
from casework.ingest.parsers.docx import DocxParser
from casework.ingest.parsers.eml import EmlParser
from casework.ingest.parsers.html import HtmlParser
from casework.ingest.parsers.image import ImageParser
from casework.ingest.parsers.mbox import MboxParser
from casework.ingest.parsers.msg import MsgParser
from casework.ingest.parsers.pdf import PdfParser
from casework.ingest.parsers.pptx import PptxParser
from casework.ingest.parsers.pst import PstParser
from casework.ingest.parsers.text import TextParser
from casework.ingest.parsers.video import VideoParser
from casework.ingest.parsers.xlsx import XlsxParser

PARSERS: tuple[Parser, ...] = (
    PdfParser(), TextParser(), HtmlParser(), DocxParser(), XlsxParser(), PptxParser(),
    EmlParser(), MsgParser(), MboxParser(), PstParser(), ImageParser(), VideoParser(),
    AudioParser(), ZipParser(), TarParser(), SevenZipParser(),
)

REGISTRY: dict[str, Parser] = {mt: parser for parser in PARSERS for mt in parser.media_types}


def parser_for(media_type: str) -> Parser | None:
    return REGISTRY.get(media_type)


__all__ = ["REGISTRY", "EmbeddedFile", "ExtractedPage", "ParseError", "ParsedDocument",
           "Parser", "parser_for"]
