"""Entities and patterns found in documents' pages: people, organisations, places, e-mail
addresses, phone numbers, IBANs, amounts, dates and reference numbers, each mention with its
page and character offsets."""
