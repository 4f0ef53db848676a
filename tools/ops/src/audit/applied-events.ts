import { GroupBookkeeping } from './snapshot';
import { ScannedTopic } from './topic-scan';

/**
 * The events a group has applied (eventId → type), derived from what it stores instead of a row per
 * event, all read in the one database snapshot: a copy of the event below its partition's stored
 * position was applied, unless the group parked it and has not applied it since (parked_events;
 * a replay that is applied consumes its original's record); an event published without a producer
 * sequence (before the upgrade to positions) has its processed_events row. A second copy of an
 * applied event adds nothing: this is a set of events, and what each did is checked against the
 * effects.
 */
export function appliedEvents(input: { consumes: readonly string[]; scans: readonly ScannedTopic[]; bookkeeping: GroupBookkeeping }): Map<string, string> {
  const { consumes, scans, bookkeeping } = input;
  const applied = new Map([...bookkeeping.appliedById].filter(([, type]) => consumes.includes(type)));
  for (const scan of scans) {
    for (const event of scan.events.values()) {
      if (!consumes.includes(event.type) || applied.has(event.eventId)) continue;
      const wasApplied = event.copiesAt.some((copy) => {
        const next = bookkeeping.positions.get(`${scan.topic}:${copy.partition}`);
        return next !== undefined && copy.offset < next && !bookkeeping.parked.has(`${scan.topic}:${copy.partition}:${copy.offset}`);
      });
      if (wasApplied) applied.set(event.eventId, event.type);
    }
  }
  return applied;
}
