"""Media: image facts and EXIF, OCR, thumbnails, posters, contact sheets, page previews, gallery."""
