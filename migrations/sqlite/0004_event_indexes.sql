-- The Events page's filters on a large store: the provider's event id on its own (the dedup
-- index leads with the source), and a source's events newest first.
CREATE INDEX events_by_provider_id ON events(provider_event_id);
CREATE INDEX events_by_source ON events(source_id, received_at, id);
