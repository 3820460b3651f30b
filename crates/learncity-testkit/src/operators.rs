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

/// An operator signed in to the console of the service at `base`: the session cookie's value
/// and the session's CSRF token (read from the console's page), through the sign-in form as a
/// browser would post it. Panics when any step is refused.
pub async fn sign_in(base: &str, name: &str) -> (String, String) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let cookie_value = |r: &reqwest::Response, cookie: &str| -> String {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.split(';').next()?.strip_prefix(&format!("{cookie}=")).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {cookie} cookie"))
    };
    let r = client.get(format!("{base}/admin/login")).send().await.expect("the sign-in page");
    let token = cookie_value(&r, "learncity_sign_in");
    let form = format!("csrf={token}&name={name}&password={}", PASSWORD.replace(' ', "+"));
    let r = client
        .post(format!("{base}/admin/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("learncity_sign_in={token}"))
        .body(form)
        .send()
        .await
        .expect("signing in");
    assert_eq!(r.status(), 303, "signing in as {name}");
    let session = cookie_value(&r, "learncity_operator");
    let page = client
        .get(format!("{base}/admin"))
        .header("cookie", format!("learncity_operator={session}"))
        .send()
        .await
        .expect("the console")
        .text()
        .await
        .expect("the console's page");
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF token on the console") + 19;
    let csrf = page[at..at + page[at..].find('"').expect("a quoted token")].to_owned();
    (session, csrf)
}
