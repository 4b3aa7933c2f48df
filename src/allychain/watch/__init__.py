"""Watch: signals of disruption, read from what is published.

Now: events extracted from text (export controls, sanctions, licence requirements,
fires, outages, disasters, shortages, price shocks, capacity expansions), linked to
the network's items, firms and countries, with the character span of every field.
Pure: no network access, no model download, no database; the linking of events to
exposed members (which needs :mod:`allychain.analysis`) lives in the service layer
(:mod:`allychain.services.watch`).

Indicator series (:mod:`allychain.watch.indicators`, :mod:`allychain.watch.importers`) and
detection on them (:mod:`allychain.watch.detect`, ruptures and statsmodels) sit beside
``extract``; they are imported from their modules (``from allychain.watch.detect import
scan_series``), so that reading text does not load them.

Needs the ``watch`` extra (spaCy, rapidfuzz, dateparser, BeautifulSoup; pypdf for PDF
in ``watch-pdf``); the imports happen on first use.
"""

from allychain.watch.events import EVENT_TYPES, DateMention, Event, Extraction, ItemMention, Mention
from allychain.watch.extract import TIME_BUDGET, extract, extract_many
from allychain.watch.gazetteer import Gazetteer, gazetteer
from allychain.watch.lexicon import languages, load_lexicon
from allychain.watch.text import MAX_BYTES, MAX_CHARS, read_document

__all__ = ["extract", "extract_many", "read_document", "gazetteer", "Gazetteer", "load_lexicon", "languages",
           "Event", "Extraction", "ItemMention", "DateMention", "Mention", "EVENT_TYPES", "MAX_CHARS", "MAX_BYTES",
           "TIME_BUDGET"]
