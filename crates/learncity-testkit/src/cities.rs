//! Labelled cities under `tests/fixtures/` (`dedup-independent/*`, `readers-independent/*`): a
//! folder of provider files (`providers/*.toml`) with one document each (`documents/<id>.*`),
//! read as the collector reads them, at a fixed fetch time.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use learncity_config::Provider;
use learncity_model::ProviderRef;
use learncity_readers::{ReadContext, ReadOutput};

/// One provider of a city and what its document read as.
pub struct ReadProvider {
    /// The provider file.
    pub provider: Provider,
    /// Its document.
    pub document: PathBuf,
    /// What the readers made of it.
    pub output: ReadOutput,
}

/// Reads every provider of the city in `dir`, in file-name order. Panics, naming the file, on a
/// provider file or document that cannot be read: a labelled city is the test's own input.
pub fn read_city(dir: &Path, fetched_at: DateTime<Utc>) -> Vec<ReadProvider> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("providers"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let provider = Provider::load(&file).unwrap_or_else(|e| panic!("{e}"));
            let document = std::fs::read_dir(dir.join("documents"))
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.expect("directory entry").path())
                .find(|d| d.file_stem().is_some_and(|s| s == provider.id.as_str()))
                .unwrap_or_else(|| panic!("{}: no document of {}", dir.display(), provider.id));
            let bytes = std::fs::read(&document).unwrap_or_else(|e| panic!("{}: {e}", document.display()));
            let who = ProviderRef { id: provider.id.clone(), name: provider.name.clone() };
            let ctx = ReadContext {
                provider: &who,
                settings: &provider.reader,
                document_url: provider.url.as_ref(),
                content_type: None,
                fetched_at,
            };
            let output = learncity_readers::read(&bytes, provider.format, &ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", document.display()));
            ReadProvider { provider, document, output }
        })
        .collect()
}
