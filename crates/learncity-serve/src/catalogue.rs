//! The catalogue as the service holds it: every live entry by id, the search index over them,
//! and the store's change sequence it has caught up with. [`follow`] keeps it current by asking
//! the store for the changes after that sequence (`CatalogStore::changes_since`) — no state of
//! its own, so replicas run side by side, each following the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use learncity_model::Entry;
use learncity_ops::Readiness;
use learncity_search::SearchIndex;
use learncity_store::CatalogStore;
use tokio_util::sync::CancellationToken;

/// A provider as the catalogue shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProviderSummary {
    /// Provider id.
    pub id: String,
    /// Its name (from its entries' sources).
    pub name: Option<String>,
    /// Entries it is a source of.
    pub entries: usize,
}

/// The live catalogue and its search index.
pub struct Catalogue {
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    /// Providers and categories with their counts, computed when the entries change (pages
    /// show them on every request).
    summary: RwLock<Summary>,
    index: SearchIndex,
    seq: AtomicI64,
}

#[derive(Default)]
struct Summary {
    providers: Vec<ProviderSummary>,
    categories: Vec<(String, usize)>,
}

impl Summary {
    fn of(entries: &HashMap<String, Arc<Entry>>) -> Self {
        let mut providers: BTreeMap<String, ProviderSummary> = BTreeMap::new();
        let mut categories: BTreeMap<String, usize> = BTreeMap::new();
        for e in entries.values() {
            for s in &e.sources {
                let p = providers.entry(s.provider_id.clone()).or_insert_with(|| ProviderSummary {
                    id: s.provider_id.clone(),
                    name: None,
                    entries: 0,
                });
                if p.name.is_none() {
                    p.name.clone_from(&s.provider_name);
                }
                p.entries += 1;
            }
            for c in &e.categories {
                *categories.entry(c.clone()).or_default() += 1;
            }
        }
        Self { providers: providers.into_values().collect(), categories: categories.into_iter().collect() }
    }
}

/// Why the catalogue cannot be read or searched.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The search index failed.
    #[error("search index: {0}")]
    Search(#[from] learncity_search::SearchError),
    /// The store failed.
    #[error("catalogue store: {0}")]
    Store(#[from] learncity_store::StoreError),
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Catalogue {
    /// An empty catalogue.
    pub fn new() -> Result<Self, CatalogueError> {
        Ok(Self {
            entries: RwLock::new(HashMap::new()),
            summary: RwLock::new(Summary::default()),
            index: SearchIndex::in_memory()?,
            seq: AtomicI64::new(0),
        })
    }

    /// The entry `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        read(&self.entries).get(id).cloned()
    }

    /// Entries by id, in the order given (ids no longer known are left out).
    pub fn get_all(&self, ids: &[String]) -> Vec<Arc<Entry>> {
        let entries = read(&self.entries);
        ids.iter().filter_map(|id| entries.get(id).cloned()).collect()
    }

    /// Every live entry's id and last change, by id.
    pub fn ids_and_updates(&self) -> Vec<(String, chrono::DateTime<chrono::Utc>)> {
        let mut v: Vec<(String, chrono::DateTime<chrono::Utc>)> =
            read(&self.entries).values().map(|e| (e.id.clone(), e.updated_at)).collect();
        v.sort_unstable();
        v
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        read(&self.entries).len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The store change sequence caught up with.
    pub fn seq(&self) -> i64 {
        self.seq.load(Ordering::SeqCst)
    }

    /// The search index.
    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Every provider that is a source of an entry, by id.
    pub fn providers(&self) -> Vec<ProviderSummary> {
        read(&self.summary).providers.clone()
    }

    /// Every taxonomy category of an entry, with its entry count.
    pub fn categories(&self) -> Vec<(String, usize)> {
        read(&self.summary).categories.clone()
    }

    /// Applies the store's changes after [`Catalogue::seq`]; returns how many.
    pub async fn refresh(&self, store: &dyn CatalogStore) -> Result<usize, CatalogueError> {
        let mut applied = 0;
        loop {
            let changes = store.changes_since(self.seq(), 1000).await?;
            if changes.is_empty() {
                break;
            }
            {
                let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                for change in &changes {
                    match &change.entry {
                        Some(entry) => {
                            self.index.upsert(entry)?;
                            entries.insert(change.id.clone(), Arc::new(entry.clone()));
                        }
                        None => {
                            self.index.remove(&change.id)?;
                            entries.remove(&change.id);
                        }
                    }
                }
                self.index.commit()?;
            }
            applied += changes.len();
            if let Some(last) = changes.last() {
                self.seq.store(last.seq, Ordering::SeqCst);
            }
        }
        if applied > 0 {
            let summary = Summary::of(&read(&self.entries));
            *self.summary.write().unwrap_or_else(std::sync::PoisonError::into_inner) = summary;
            metrics::gauge!("learncity_serve_entries").set(self.len() as f64);
            metrics::gauge!("learncity_serve_store_seq").set(self.seq() as f64);
        }
        Ok(applied)
    }
}

/// Keeps `catalogue` current until `stop`: asks the store for changes every `interval`;
/// readiness follows (ready once caught up, not ready while the store fails).
pub async fn follow(
    catalogue: Arc<Catalogue>,
    store: Arc<dyn CatalogStore>,
    interval: Duration,
    readiness: Readiness,
    stop: CancellationToken,
) {
    loop {
        match catalogue.refresh(&*store).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(changes = n, seq = catalogue.seq(), "catalogue refreshed");
                }
                readiness.set_ready();
            }
            Err(e) => {
                tracing::warn!(error = %e, store = %store.describe(), "cannot refresh the catalogue; retrying");
                readiness.set_not_ready(format!("cannot read the catalogue store: {e}"));
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = stop.cancelled() => return,
        }
    }
}
