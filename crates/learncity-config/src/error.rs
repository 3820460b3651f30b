//! Config mistakes: each names where (file and line, or the environment variable), which field,
//! and what is wrong.

use std::fmt;

use crate::locate::line_col;

/// One config mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file (or `environment variable NAME`) the mistake is in.
    pub origin: String,
    /// 1-based line, and column when known.
    pub line: Option<(usize, Option<usize>)>,
    /// Dotted field path (`collector.interval`, `reader.html.item`), when known.
    pub field: Option<String>,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ConfigError {
    /// A mistake about a whole file (unreadable, missing).
    pub fn file(origin: &str, message: String) -> Self {
        Self { origin: origin.to_owned(), line: None, field: None, message }
    }

    /// A mistake in one field.
    pub fn field(origin: &str, line: Option<usize>, field: &str, message: String) -> Self {
        Self { origin: origin.to_owned(), line: line.map(|l| (l, None)), field: Some(field.to_owned()), message }
    }

    /// A TOML syntax or type error, placed by its span.
    pub fn from_toml(origin: &str, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map(|s| {
            let (l, c) = line_col(text, s.start);
            (l, Some(c))
        });
        Self { origin: origin.to_owned(), line, field: None, message: err.message().trim().to_owned() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        match self.line {
            Some((l, Some(c))) => write!(f, ":{l}:{c}")?,
            Some((l, None)) => write!(f, ":{l}")?,
            None => {}
        }
        if let Some(field) = &self.field {
            write!(f, ": key `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every mistake found in a config (a check reports them all, not only the first).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        Self(vec![e])
    }
}
