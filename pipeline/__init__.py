"""coursecast: raw interviews -> podcast episodes, transcripts, captioned video, feeds and PDFs."""

__version__ = "0.1.0"
