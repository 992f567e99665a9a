"""Parsers registered by media type: adding a format is one module and one line here."""

from casework.ingest.parsers.base import ExtractedPage, ParsedDocument, ParseError, Parser
from casework.ingest.parsers.docx import DocxParser
from casework.ingest.parsers.html import HtmlParser
from casework.ingest.parsers.pdf import PdfParser
from casework.ingest.parsers.text import TextParser

PARSERS: tuple[Parser, ...] = (PdfParser(), TextParser(), HtmlParser(), DocxParser())

REGISTRY: dict[str, Parser] = {mt: parser for parser in PARSERS for mt in parser.media_types}


def parser_for(media_type: str) -> Parser | None:
    return REGISTRY.get(media_type)


__all__ = ["REGISTRY", "ExtractedPage", "ParseError", "ParsedDocument", "Parser", "parser_for"]
