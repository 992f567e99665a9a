"""Blob storage for originals and derived files, behind one small interface."""
