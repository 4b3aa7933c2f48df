"""Data in: the built-in curated dataset, the ETO importer and downloader, the native format."""
