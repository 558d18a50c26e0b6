"""Stock services: batches (production), handovers between locations, stocktakes.

Each public service is one business operation (``@business_operation``) and every card
state or location change goes through ``membercard.inventory.lifecycle.transition``, which
writes the stock movement; batch-wide work writes the very same movements in bulk
(``membercard.inventory.movements.record_bulk``).
"""
