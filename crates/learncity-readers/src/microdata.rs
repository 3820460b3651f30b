//! schema.org microdata.
