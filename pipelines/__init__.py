"""Parsing: pure functions from a report's bytes or text to one checked record.

``parse_document(data, url=None, encoding=None)`` is the entry point; nothing here
needs Scrapy, Twisted or a database.
"""
from .record import PARSER_VERSION, parse_document

__all__ = ["PARSER_VERSION", "parse_document"]
