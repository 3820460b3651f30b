//! The catalogue of one offerings-topic partition, in memory: what an upsert, a snapshot or
//! the passing of time changes in it.
//!
//! No I/O. Each operation changes the in-memory state at once and records what the store must
//! write and the catalog topic must say in [`Effects`]; the daemon applies those in one store
//! transaction. When that fails the daemon drops the partition and loads it again from the store.
//!
//! ## The model
//! The catalogue is a function of the set of *live* sources (active: neither withdrawn from a
//! complete listing nor expired): take the graph whose edges join live sources that
//! [`matching::score`] puts at or above the match score (compared only within a blocking key);
//! each of its connected components is split into entries by [`matching::partition`] (best
//! matches first, never two conflicting sources in one entry). Whatever the order in which
//! sources arrived, the same live set gives the same entries. An entry's id comes from its earliest
//! source (lowest `seen_order`, the offset of its first upsert), so it stays while that source
//! stays in the entry; when a change splits an entry, the part without that source gets a new id.
//!
//! A change touches a few sources. Only the entries they were in, and the components they are
//! in now, are computed again: a breadth-first search over the blocking index from the touched
//! sources and the other members of their former entries.
//!
//! A key shared by more than [`matching::MAX_BLOCK`] live sources joins none of them (see
//! there). When a change takes a key over that bound, or back under it, the key's other members
//! are computed again too, so the entries stay a function of the live set.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use learncity_catalog::curation::{self, Curation};
use learncity_catalog::matching::{self, Constraints, Features, Thresholds};
use learncity_catalog::merge::{self, Member};
use learncity_model::curation::Pin;
use learncity_model::entry::{
    EVENT_ENTRY, EVENT_TOMBSTONE, HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE, HEADER_MERGED_INTO, HEADER_REASON,
    HEADER_SCHEMA_VERSION,
};
use learncity_model::{Entry, Listing, Offering, Role, Snapshot};
use learncity_store::{Changeset, DeadLetter, EntryChange, OutboxRecord, SourceRow, SourceState};

/// What the builder knows of a provider from config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Merge priority: when sources disagree, the higher wins.
    pub priority: i32,
    /// The provider's city: stands in for offerings that name none.
    pub city: Option<String>,
    /// Organiser or aggregator: organisers' sources are preferred in the merge.
    pub role: Role,
}

/// Settings of the matching and expiry.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Matching thresholds.
    pub thresholds: Thresholds,
    /// How long after its last session an offering expires.
    pub expiry_grace: chrono::Duration,
    /// Providers from config, by id.
    pub providers: HashMap<String, ProviderInfo>,
    /// The catalog topic.
    pub catalog_topic: String,
    /// Operators' decisions ([`learncity_catalog::curation`]).
    pub curation: Curation,
}

impl Rules {
    /// What config says of provider `id` (the defaults when it names none).
    pub(crate) fn provider(&self, id: &str) -> ProviderInfo {
        self.providers.get(id).cloned().unwrap_or_default()
    }

    /// What matching sees of `o` (its provider's city standing in for a missing one).
    pub fn features(&self, o: &Offering) -> Features {
        let provider = self.providers.get(&o.provider.id);
        Features::of(o, provider.and_then(|p| p.city.as_deref()), provider.map(|p| p.role).unwrap_or_default())
    }
}

/// Counts of what a batch did, for metrics and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Upserts that changed a source.
    pub upserts: u64,
    /// Upserts equal to what was stored (nothing changed).
    pub unchanged: u64,
    /// Components formed from two or more former entries.
    pub merges: u64,
    /// Former entries whose sources are now in two or more entries.
    pub splits: u64,
    /// Sources withdrawn by a snapshot.
    pub withdrawals: u64,
    /// Sources expired.
    pub expirations: u64,
    /// Entries published (new or changed).
    pub entries_put: u64,
    /// Entries removed (tombstones).
    pub entries_removed: u64,
}

impl Stats {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Stats) {
        self.upserts += other.upserts;
        self.unchanged += other.unchanged;
        self.merges += other.merges;
        self.splits += other.splits;
        self.withdrawals += other.withdrawals;
        self.expirations += other.expirations;
        self.entries_put += other.entries_put;
        self.entries_removed += other.entries_removed;
    }
}

/// What a batch of operations changed: the store writes and the catalog records.
#[derive(Debug, Default)]
pub struct Effects {
    sources: BTreeMap<String, SourceRow>,
    entries: Vec<EntryChange>,
    outbox: Vec<OutboxRecord>,
    dead_letters: Vec<DeadLetter>,
    /// Counts.
    pub stats: Stats,
}

impl Effects {
    /// Queues a record to publish after the commit (a dead letter).
    pub fn publish(&mut self, record: OutboxRecord) {
        self.outbox.push(record);
    }

    /// Keeps a record that could not be applied in the store.
    pub fn keep_dead_letter(&mut self, letter: DeadLetter) {
        self.dead_letters.push(letter);
    }

    /// Adds the effects of `later` operations after these.
    pub fn absorb(&mut self, later: Effects) {
        self.sources.extend(later.sources);
        self.entries.extend(later.entries);
        self.outbox.extend(later.outbox);
        self.dead_letters.extend(later.dead_letters);
        self.stats.add(&later.stats);
    }

    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty() && self.entries.is_empty() && self.outbox.is_empty() && self.dead_letters.is_empty()
    }

    /// The store changeset, with `offsets` consumed up to.
    pub fn into_changeset(self, offsets: Vec<(String, i32, i64)>) -> (Changeset, Stats) {
        let changes = Changeset {
            sources: self.sources.into_values().collect(),
            entries: self.entries,
            outbox: self.outbox,
            offsets,
            dead_letters: self.dead_letters,
        };
        (changes, self.stats)
    }
}

struct Source {
    row: SourceRow,
    features: Features,
    /// Its key, shared with the index.
    id: Arc<str>,
    /// Its blocks ([`matching::block_ids`]), while active.
    blocks: Vec<u64>,
}

/// The catalogue of one partition.
pub struct PartitionCatalog {
    partition: i32,
    sources: HashMap<String, Source>,
    /// Block id → live sources in it (unordered).
    index: HashMap<u64, Vec<Arc<str>>>,
    entries: HashMap<String, Entry>,
    /// Sources whose keys went over [`matching::MAX_BLOCK`] or back under it since the last
    /// recompute: their entries are computed again with the next change.
    unsettled: BTreeSet<String>,
}

impl PartitionCatalog {
    /// The catalogue of `partition` as the store holds it.
    pub fn load(partition: i32, sources: Vec<SourceRow>, entries: Vec<Entry>, rules: &Rules) -> Self {
        let mut catalog = Self {
            partition,
            sources: HashMap::new(),
            index: HashMap::new(),
            entries: HashMap::new(),
            unsettled: BTreeSet::new(),
        };
        for row in sources {
            catalog.insert(row, rules);
        }
        // The stored entries were computed from these very sources.
        catalog.unsettled.clear();
        catalog.entries = entries.into_iter().map(|e| (e.id.clone(), e)).collect();
        catalog
    }

    /// The live entries, by id.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Number of sources in any state.
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    fn insert(&mut self, row: SourceRow, rules: &Rules) {
        let features = rules.features(&row.offering);
        let id: Arc<str> = Arc::from(row.key.as_str());
        let mut blocks = Vec::new();
        if row.state == SourceState::Active && !rules.curation.hidden(&row.key) {
            blocks = matching::block_ids(&features, &rules.thresholds);
            for b in &blocks {
                let members = self.index.entry(*b).or_default();
                members.push(id.clone());
                if members.len() == matching::MAX_BLOCK + 1 {
                    // Over the bound: the pairs this block joined are no longer compared, so the
                    // entries of two sources or more among its members may split.
                    let shared = |m: &Arc<str>| {
                        let entry = self.sources.get(&**m).and_then(|s| s.row.entry_id.as_ref());
                        entry.and_then(|e| self.entries.get(e)).is_some_and(|e| e.sources.len() > 1)
                    };
                    self.unsettled.extend(members.iter().filter(|m| shared(m)).map(|m| m.to_string()));
                }
            }
        }
        self.sources.insert(row.key.clone(), Source { row, features, id, blocks });
    }

    fn remove(&mut self, key: &str) -> Option<SourceRow> {
        let source = self.sources.remove(key)?;
        for b in &source.blocks {
            if let Some(members) = self.index.get_mut(b) {
                let Some(at) = members.iter().position(|m| Arc::ptr_eq(m, &source.id)) else { continue };
                members.swap_remove(at);
                if members.len() == matching::MAX_BLOCK {
                    // Back under the bound: its members are compared again.
                    self.unsettled.extend(members.iter().map(|m| m.to_string()));
                }
                if members.is_empty() {
                    self.index.remove(b);
                }
            }
        }
        Some(source.row)
    }

    /// One offering, from the record at `offset`.
    pub fn upsert(&mut self, offering: Offering, offset: i64, now: DateTime<Utc>, rules: &Rules, fx: &mut Effects) {
        let key = offering.key();
        let expired = offering.last_end().is_some_and(|end| end.with_timezone(&Utc) + rules.expiry_grace < now);
        let state = if expired { SourceState::Expired } else { SourceState::Active };
        if let Some(old) = self.sources.get(&key)
            && old.row.state == state
            && same_content(&old.row.offering, &offering)
        {
            fx.stats.unchanged += 1;
            return;
        }
        fx.stats.upserts += 1;
        let old = self.remove(&key);
        let former_entry = old.as_ref().and_then(|r| r.entry_id.clone());
        if expired && old.as_ref().is_some_and(|r| r.state == SourceState::Active) {
            fx.stats.expirations += 1;
        }
        let row = SourceRow {
            key: key.clone(),
            partition: self.partition,
            seen_order: old.map_or(offset, |r| r.seen_order),
            state,
            entry_id: None,
            offering,
        };
        self.insert(row, rules);
        fx.sources.insert(key.clone(), self.sources[&key].row.clone());
        self.recompute(&[key], former_entry.into_iter().collect(), "expired", rules, fx);
    }

    /// A snapshot: what vanished from a complete listing is withdrawn.
    pub fn snapshot(&mut self, snapshot: &Snapshot, rules: &Rules, fx: &mut Effects) {
        if snapshot.listing == Listing::Window {
            return;
        }
        let present: BTreeSet<&str> = snapshot.source_ids.iter().map(String::as_str).collect();
        let mut vanished: Vec<String> = self
            .sources
            .values()
            .filter(|s| {
                s.row.state == SourceState::Active
                    && s.row.offering.provider.id == snapshot.provider_id
                    && !present.contains(s.row.offering.source_id.as_str())
            })
            .map(|s| s.row.key.clone())
            .collect();
        vanished.sort();
        fx.stats.withdrawals += vanished.len() as u64;
        self.retire(vanished, SourceState::Withdrawn, "withdrawn", rules, fx);
    }

    /// Expires every live source whose last session ended more than the grace period before `now`.
    pub fn expire(&mut self, now: DateTime<Utc>, rules: &Rules, fx: &mut Effects) {
        let mut due: Vec<String> = self
            .sources
            .values()
            .filter(|s| {
                s.row.state == SourceState::Active
                    && s.row.offering.last_end().is_some_and(|end| end.with_timezone(&Utc) + rules.expiry_grace < now)
            })
            .map(|s| s.row.key.clone())
            .collect();
        due.sort();
        fx.stats.expirations += due.len() as u64;
        self.retire(due, SourceState::Expired, "expired", rules, fx);
    }

    fn retire(&mut self, keys: Vec<String>, state: SourceState, reason: &str, rules: &Rules, fx: &mut Effects) {
        if keys.is_empty() {
            return;
        }
        let mut former = BTreeSet::new();
        for key in &keys {
            let Some(mut row) = self.remove(key) else { continue };
            former.extend(row.entry_id.take());
            row.state = state;
            self.insert(row, rules);
            fx.sources.insert(key.clone(), self.sources[key].row.clone());
        }
        self.recompute(&keys, former, reason, rules, fx);
    }

    /// Computes again the sources `keys` and their entries under `rules` as they are now: the
    /// sources a new or revoked operator's decision names ([`Curation::set`]: hidden sources
    /// leave their entries, shown ones come back, merges, splits and pins are computed again),
    /// or the sources of providers whose rules changed (their city is matched again, their
    /// priority and role choose the canonical fields again).
    pub fn reconsider(&mut self, keys: &BTreeSet<String>, rules: &Rules, fx: &mut Effects) {
        let keys: Vec<String> = keys.iter().filter(|k| self.sources.contains_key(*k)).cloned().collect();
        if keys.is_empty() {
            return;
        }
        let mut former = BTreeSet::new();
        for key in &keys {
            let Some(mut row) = self.remove(key) else { continue };
            if rules.curation.hidden(key) {
                former.extend(row.entry_id.take());
                self.insert(row, rules);
                fx.sources.insert(key.clone(), self.sources[key].row.clone());
            } else {
                former.extend(row.entry_id.clone());
                self.insert(row, rules);
            }
        }
        self.recompute(&keys, former, "hidden", rules, fx);
    }

    /// The sources of the providers `ids`, in any state.
    pub fn sources_of(&self, ids: &BTreeSet<String>) -> BTreeSet<String> {
        self.sources.values().filter(|s| ids.contains(&s.row.offering.provider.id)).map(|s| s.row.key.clone()).collect()
    }

    /// The sources of stored entries that were computed with another priority than their
    /// provider has now (the provider's file changed while this partition was not held).
    pub fn sources_with_other_priority(&self, rules: &Rules) -> BTreeSet<String> {
        self.entries
            .values()
            .flat_map(|e| &e.sources)
            .filter(|s| rules.provider(&s.provider_id).priority != s.priority)
            .map(|s| s.key.clone())
            .collect()
    }

    /// Whether source `key` is in the catalogue: known, active and not hidden.
    fn live(&self, key: &str, rules: &Rules) -> bool {
        self.sources.get(key).is_some_and(|s| s.row.state == SourceState::Active && !rules.curation.hidden(key))
    }

    /// Live sources joined to `key` by a match, with their scores.
    fn neighbours(&self, key: &str, rules: &Rules) -> BTreeMap<String, f64> {
        let source = &self.sources[key];
        let mut out = BTreeMap::new();
        for b in &source.blocks {
            let members = self.index.get(b).filter(|m| m.len() <= matching::MAX_BLOCK);
            for other in members.into_iter().flatten() {
                let other: &str = other;
                if other == key || out.contains_key(other) {
                    continue;
                }
                let o = &self.sources[other];
                if o.features.provider == source.features.provider {
                    continue;
                }
                if let Some(s) = matching::score(&source.features, &o.features, &rules.thresholds)
                    && s >= rules.thresholds.candidate_score
                {
                    out.insert(other.to_owned(), s);
                }
            }
        }
        out
    }

    /// Computes again the entries of `touched` sources and of the entries they were in.
    fn recompute(
        &mut self,
        touched: &[String],
        mut former: BTreeSet<String>,
        reason: &str,
        rules: &Rules,
        fx: &mut Effects,
    ) {
        // Seeds: the touched sources, the sources of keys that crossed the bound, and the other
        // members of the entries they were in.
        let mut seeds: BTreeSet<String> = touched.iter().cloned().collect();
        for key in std::mem::take(&mut self.unsettled) {
            former.extend(self.sources.get(&key).and_then(|s| s.row.entry_id.clone()));
            seeds.insert(key);
        }
        // Sources an operator's decision names with a touched one (a pin may move to them).
        let related: Vec<String> = touched.iter().flat_map(|k| rules.curation.related(k)).cloned().collect();
        for key in related {
            former.extend(self.sources.get(&key).and_then(|s| s.row.entry_id.clone()));
            seeds.insert(key);
        }
        for id in &former {
            if let Some(entry) = self.entries.get(id) {
                seeds.extend(entry.sources.iter().map(|s| s.key.clone()));
            }
        }
        seeds.retain(|k| self.live(k, rules));

        // Components of the match graph reached from the seeds, each split into its entries.
        let mut visited = BTreeSet::new();
        let mut components: Vec<Vec<String>> = Vec::new();
        for seed in &seeds {
            if visited.contains(seed) {
                continue;
            }
            visited.insert(seed.clone());
            let mut component = vec![seed.clone()];
            let mut edges: Vec<(String, String, f64)> = Vec::new();
            let mut i = 0;
            while i < component.len() {
                for (n, s) in self.neighbours(&component[i], rules) {
                    if component[i] < n {
                        edges.push((component[i].clone(), n.clone(), s));
                    }
                    if visited.insert(n.clone()) {
                        component.push(n);
                    }
                }
                // Sources an operator merged with it are in its component, matched or not.
                let merged: Vec<String> =
                    rules.curation.merged_with(&component[i]).filter(|n| self.live(n, rules)).cloned().collect();
                for n in merged {
                    if visited.insert(n.clone()) {
                        component.push(n);
                    }
                }
                i += 1;
            }
            // Entries reached through members that were not touched are recomputed too.
            former.extend(component.iter().filter_map(|k| self.sources[k].row.entry_id.clone()));
            let at: HashMap<&str, usize> = component.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
            let features: Vec<&Features> = component.iter().map(|k| &self.sources[k].features).collect();
            let edges: Vec<(usize, usize, f64)> =
                edges.iter().map(|(a, b, s)| (at[a.as_str()], at[b.as_str()], *s)).collect();
            let constraints = constraints(&component, &at, &rules.curation);
            for group in matching::partition_curated(&features, &edges, &rules.thresholds, &constraints) {
                components.push(group.into_iter().map(|i| component[i].clone()).collect());
            }
        }

        // Which former entry each source was in.
        let mut old_entry_of: HashMap<&str, &str> = HashMap::new();
        for id in &former {
            for s in self.entries.get(id).map(|e| e.sources.as_slice()).unwrap_or_default() {
                old_entry_of.insert(s.key.as_str(), id.as_str());
            }
        }

        // The new entries.
        let mut built: BTreeMap<String, Entry> = BTreeMap::new();
        for component in &components {
            let olds: BTreeSet<&str> = component.iter().filter_map(|k| old_entry_of.get(k.as_str()).copied()).collect();
            let keys: BTreeSet<&str> = component.iter().map(String::as_str).collect();
            let pins = rules.curation.pins_for(&keys, |k| self.live(k, rules));
            let mut members: Vec<Member<'_>> = Vec::with_capacity(component.len());
            for key in component {
                let s = &self.sources[key];
                let mut provider = rules.provider(&s.row.offering.provider.id);
                if pins.iter().rev().find_map(|p| if let Pin::Source(k) = p { Some(k) } else { None }) == Some(key) {
                    // The operator's canonical source comes first.
                    (provider.role, provider.priority) = (Role::Organiser, i32::MAX);
                }
                members.push(Member { offering: &s.row.offering, priority: provider.priority, role: provider.role });
            }
            if olds.len() > 1 {
                fx.stats.merges += 1;
            }
            let anchor = component
                .iter()
                .min_by_key(|k| (self.sources[*k].row.seen_order, (*k).clone()))
                .expect("a component holds its seed");
            let id = merge::entry_id(anchor);
            let mut by_preference = members.clone();
            merge::preference_order(&mut by_preference);
            let place = by_preference.iter().find_map(|m| self.sources[&m.offering.key()].features.place.clone());
            let mut entry = merge::canonical(&id, place.as_deref(), &members);
            curation::pin_fields(&mut entry, &pins);
            built.insert(id, entry);
        }

        // Members point at their new entries.
        let mut entry_of: HashMap<String, String> = HashMap::new();
        for (id, entry) in &built {
            for s in &entry.sources {
                entry_of.insert(s.key.clone(), id.clone());
            }
        }
        for (key, id) in &entry_of {
            let source = self.sources.get_mut(key).expect("members are sources");
            if source.row.entry_id.as_deref() != Some(id.as_str()) {
                source.row.entry_id = Some(id.clone());
                fx.sources.insert(key.clone(), source.row.clone());
            }
        }

        // Splits: a former entry whose members are now in two entries or more.
        for id in &former {
            if let Some(old) = self.entries.get(id) {
                let now_in: BTreeSet<&String> = old.sources.iter().filter_map(|s| entry_of.get(&s.key)).collect();
                if now_in.len() > 1 {
                    fx.stats.splits += 1;
                }
            }
        }

        // Entries that disappear: merged into the entry holding most of their sources, else `reason`.
        for id in &former {
            if built.contains_key(id) {
                continue;
            }
            let Some(old) = self.entries.remove(id) else { continue };
            let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
            for s in &old.sources {
                if let Some(new) = entry_of.get(&s.key) {
                    *counts.entry(new).or_default() += 1;
                }
            }
            let into = counts.iter().max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id))).map(|(id, _)| (*id).clone());
            let why = if into.is_some() { "merged" } else { reason };
            fx.entries.push(EntryChange::Remove { id: id.clone(), reason: why.to_owned() });
            fx.outbox.push(tombstone(&rules.catalog_topic, id, why, into.as_deref()));
            fx.stats.entries_removed += 1;
        }

        // Entries that are new or changed.
        for (id, entry) in built {
            if self.entries.get(&id) == Some(&entry) {
                continue;
            }
            fx.outbox.push(entry_record(&rules.catalog_topic, &entry));
            fx.entries.push(EntryChange::Put { partition: self.partition, entry: entry.clone() });
            fx.stats.entries_put += 1;
            self.entries.insert(id, entry);
        }
    }
}

/// The operators' constraints among the sources of `component` (`at`: each one's index).
fn constraints(component: &[String], at: &HashMap<&str, usize>, curation: &Curation) -> Constraints {
    let mut c = Constraints::default();
    if curation.is_empty() {
        return c;
    }
    for (i, key) in component.iter().enumerate() {
        for other in curation.related(key) {
            let Some(&j) = at.get(other.as_str()) else { continue };
            if curation.kept_apart(key, other) {
                c.apart.insert((i.min(j), i.max(j)));
            } else if i < j && curation.merged_with(key).any(|m| m == other) {
                c.together.push((i, j));
            }
        }
    }
    c
}

/// Whether two offerings of one source say the same (when they were fetched aside).
fn same_content(a: &Offering, b: &Offering) -> bool {
    if a.provenance.fetched_at == b.provenance.fetched_at {
        return a == b;
    }
    let mut b = b.clone();
    b.provenance.fetched_at = a.provenance.fetched_at;
    b.provenance.document_url.clone_from(&a.provenance.document_url);
    *a == b
}

/// The catalog record of `entry`.
pub fn entry_record(topic: &str, entry: &Entry) -> OutboxRecord {
    OutboxRecord {
        topic: topic.to_owned(),
        key: Some(entry.id.clone().into_bytes()),
        value: Some(serde_json::to_vec(entry).expect("an entry always serialises")),
        headers: vec![
            (HEADER_EVENT_TYPE.to_owned(), EVENT_ENTRY.as_bytes().to_vec()),
            (HEADER_SCHEMA_VERSION.to_owned(), entry.schema_version.to_string().into_bytes()),
            (HEADER_CONTENT_TYPE.to_owned(), b"application/json".to_vec()),
        ],
    }
}

/// The tombstone of entry `id`.
pub fn tombstone(topic: &str, id: &str, reason: &str, merged_into: Option<&str>) -> OutboxRecord {
    let mut headers = vec![
        (HEADER_EVENT_TYPE.to_owned(), EVENT_TOMBSTONE.as_bytes().to_vec()),
        (HEADER_REASON.to_owned(), reason.as_bytes().to_vec()),
    ];
    if let Some(into) = merged_into {
        headers.push((HEADER_MERGED_INTO.to_owned(), into.as_bytes().to_vec()));
    }
    OutboxRecord { topic: topic.to_owned(), key: Some(id.as_bytes().to_vec()), value: None, headers }
}

#[cfg(test)]
mod tests;
