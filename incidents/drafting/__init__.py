"""Drafting incidents from an article: the extraction engine.

``propose(text, published=..., language="en")`` returns :class:`Proposal` objects that a
researcher edits, accepts or drops (see ``incidents.admin.drafting``); nothing here writes.
The parts: ``text`` (sentences with offsets), ``numbers`` and ``figures`` (casualty
phrases), ``dates`` (resolved against the publication date), ``places`` (the gazetteer),
``actors`` (names and aliases), ``events`` (the event type), ``engine`` (putting them
together) and ``matching`` (incidents already recorded that a proposal may be about).
"""

from .engine import PlaceChoice, Proposal, propose

__all__ = ["PlaceChoice", "Proposal", "propose"]
