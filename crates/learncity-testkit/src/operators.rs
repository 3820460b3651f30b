//! Operators of the console and the admin API for tests: one password, its argon2 hash.

use learncity_config::{Operator, OperatorRole};

/// Every test operator's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// [`PASSWORD`]'s hash: `echo "correct horse battery staple" | learncity config hash-password`.
pub const HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$BR6OK+fc/uoR1mwxr1pf9A$JuYzOJJV8GhFW9u7NY60l+S02t6R+m1x6sQQzT3brqU";

/// An operator `name` with [`PASSWORD`] and `role`.
pub fn operator(name: &str, role: OperatorRole) -> Operator {
    Operator { name: name.into(), password_hash: Some(HASH.into()), role }
}

/// `anna`, who decides, and `vic`, who only reads.
pub fn anna_and_vic() -> Vec<Operator> {
    vec![operator("anna", OperatorRole::Operator), operator("vic", OperatorRole::Viewer)]
}
