//! The SSRF guard: which addresses are public, a DNS resolver that drops the others, and the redirect check.
//!
//! Host names go through [`GuardedResolver`], so the addresses checked are the addresses connected to (no
//! check-then-resolve-again window for DNS rebinding). IP-literal hosts bypass DNS, so the initial URL and every
//! redirect target are checked with [`literal_ip`] / [`check_redirect`] as well.
//!
//! `allow-private` trusts one *origin* (scheme, host and port: the URL the request was made for), never more:
//! its client ([`Trust::Origin`]) resolves that one host name without filtering, and its redirect policy lets a
//! redirect stay on that origin but checks every other target as the guarded client does — a private IP
//! literal is refused, a name is resolved through the filter, and the trusted host on another port or scheme is
//! refused outright (the resolver would not filter its name).

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why the guard or the redirect policy stopped a request; carried through reqwest's error chain and mapped back
/// to a [`crate::FetchError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A host name that resolves only to non-public addresses.
    PrivateName { host: String, addresses: Vec<IpAddr> },
    /// A redirect to a non-public IP literal.
    PrivateRedirect { target: String, address: IpAddr },
    /// A redirect target already visited.
    Loop { target: String },
    /// More redirects than allowed.
    TooManyRedirects,
    /// A redirect to something other than http(s).
    Scheme { target: String },
    /// A redirect from a trusted private origin to the same host on another port or scheme.
    OtherOrigin { target: String, origin: String },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::PrivateName { host, addresses } => {
                write!(f, "`{host}` resolves only to private addresses (")?;
                for (i, a) in addresses.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Self::PrivateRedirect { target, address } => write!(f, "redirect to `{target}`: {address} is not public"),
            Self::Loop { target } => write!(f, "redirect loop back to `{target}`"),
            Self::TooManyRedirects => f.write_str("too many redirects"),
            Self::Scheme { target } => write!(f, "redirect to `{target}`, which is not http(s)"),
            Self::OtherOrigin { target, origin } => {
                write!(f, "redirect to `{target}` leaves `{origin}`, the only origin allowed to be private")
            }
        }
    }
}

impl StdError for Refusal {}

/// Finds a [`Refusal`] anywhere in an error's source chain.
pub(crate) fn find_refusal<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a Refusal> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refusal>() {
            return Some(r);
        }
        current = e.source();
    }
    None
}

/// The IP address of an IP-literal host, `None` for a domain name.
pub(crate) fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(a) => Some(IpAddr::V4(a)),
        Host::Ipv6(a) => Some(IpAddr::V6(a)),
        Host::Domain(_) => None,
    }
}

/// Whether an address is reachable on the public internet (and so fine to fetch without `allow_private`).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", unspecified
        || a == 10 // private
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast 224/4, reserved 240/4, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // Addresses that embed an IPv4 address are judged by it: IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96
    // (deprecated), NAT64 64:ff9b::/96 and 6to4 2002::/16.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if seg[..6] == [0; 6] {
        // ::/96 covers :: (unspecified) and ::1 (loopback) too; both are refused by the IPv4 check (0.0.0.x).
        return is_public_v4(embedded_v4(seg[6], seg[7]));
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(seg[6], seg[7]));
    }
    if seg[0] == 0x2002 {
        return is_public_v4(embedded_v4(seg[1], seg[2]));
    }
    let refused = (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (seg[0] & 0xff00) == 0xff00 // multicast
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation 2001:db8::/32
        || (seg[0] == 0x3fff && seg[1] < 0x1000) // documentation 3fff::/20
        || (seg[0] == 0x0100 && seg[1..4] == [0, 0, 0]); // discard-only 100::/64
    !refused
}

fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
}

/// What a client trusts to be on a private address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trust {
    /// Nothing: every address, redirect target included, must be public.
    Nothing,
    /// This one origin (`scheme://host:port`, from [`Url::origin`]); everything else as for [`Trust::Nothing`].
    Origin(url::Origin),
}

impl Trust {
    /// The trust of an `allow-private` request for `url`: its own origin.
    pub(crate) fn origin_of(url: &Url) -> Self {
        Self::Origin(url.origin())
    }

    fn trusts(&self, url: &Url) -> bool {
        match self {
            Self::Nothing => false,
            Self::Origin(origin) => origin.is_tuple() && url.origin() == *origin,
        }
    }

    /// The host name resolved without filtering (the trusted origin's, when it is a name).
    fn trusted_name(&self) -> Option<String> {
        match self {
            Self::Origin(url::Origin::Tuple(_, Host::Domain(name), _)) => Some(name.to_ascii_lowercase()),
            _ => None,
        }
    }
}

/// DNS resolution that keeps only public addresses and fails when none remain — except for `trusted`, the host
/// name of an `allow-private` origin, which resolves as it is.
#[derive(Debug, Default, Clone)]
pub(crate) struct GuardedResolver {
    trusted: Option<String>,
}

impl GuardedResolver {
    pub(crate) fn new(trust: &Trust) -> Self {
        Self { trusted: trust.trusted_name() }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let trusted = self.trusted.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(host.trim_end_matches('.')));
        Box::pin(async move {
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if trusted {
                return Ok(Box::new(resolved.into_iter()) as Addrs);
            }
            let (public, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                resolved.into_iter().partition(|a| is_public(a.ip()));
            if public.is_empty() && !refused.is_empty() {
                let mut addresses: Vec<IpAddr> = refused.iter().map(SocketAddr::ip).collect();
                addresses.dedup();
                return Err(Box::new(Refusal::PrivateName { host, addresses }) as Box<dyn StdError + Send + Sync>);
            }
            if !refused.is_empty() {
                tracing::debug!(%host, dropped = refused.len(), "dropped non-public addresses from DNS answer");
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The redirect check of every client: http(s) only, no loops, at most `max` redirects, and no non-public IP
/// literal unless the target is on the origin `trust` names (the trusted host on another port or scheme is
/// refused too). `previous` holds every URL requested so far, the initial one first.
pub(crate) fn check_redirect(next: &Url, previous: &[Url], max: usize, trust: &Trust) -> Result<(), Refusal> {
    if !matches!(next.scheme(), "http" | "https") {
        return Err(Refusal::Scheme { target: next.to_string() });
    }
    if !trust.trusts(next) {
        if let Some(address) = literal_ip(next).filter(|ip| !is_public(*ip)) {
            return Err(Refusal::PrivateRedirect { target: next.to_string(), address });
        }
        if let Some(name) = trust.trusted_name()
            && next.host_str().is_some_and(|h| h.trim_end_matches('.').eq_ignore_ascii_case(name.trim_end_matches('.')))
        {
            let origin = match trust {
                Trust::Origin(origin) => origin.ascii_serialization(),
                Trust::Nothing => String::new(),
            };
            return Err(Refusal::OtherOrigin { target: next.to_string(), origin });
        }
    }
    if previous.iter().any(|u| u == next) {
        return Err(Refusal::Loop { target: next.to_string() });
    }
    if previous.len() > max {
        return Err(Refusal::TooManyRedirects);
    }
    Ok(())
}

/// A reqwest redirect policy running [`check_redirect`].
pub(crate) fn redirect_policy(max: usize, trust: Trust) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        match check_redirect(attempt.url(), attempt.previous(), max, &trust) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn non_public_addresses_are_refused() {
        for a in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.10",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(!is_public(ip(a)), "{a} must be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(is_public(ip(a)), "{a} must pass");
        }
    }

    #[test]
    fn literal_hosts_are_recognised_in_every_spelling() {
        assert_eq!(literal_ip(&url("http://127.0.0.1:8080/x")), Some(ip("127.0.0.1")));
        // WHATWG URL parsing normalises odd IPv4 spellings, so they cannot sneak past as "domains".
        assert_eq!(literal_ip(&url("http://0x7f.1/")), Some(ip("127.0.0.1")));
        assert_eq!(literal_ip(&url("http://2130706433/")), Some(ip("127.0.0.1")));
        assert_eq!(literal_ip(&url("http://[::ffff:10.0.0.1]/")), Some(ip("::ffff:10.0.0.1")));
        assert_eq!(literal_ip(&url("http://example.org/")), None);
    }

    #[test]
    fn redirect_from_public_host_to_private_literal_is_refused() {
        let previous = [url("https://provider.example.org/feed")];
        for target in [
            "http://127.0.0.1/admin",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8080/",
            "http://[::ffff:192.168.0.1]/",
            "http://10.0.0.5:9200/_cat",
        ] {
            let refusal = check_redirect(&url(target), &previous, 5, &Trust::Nothing).unwrap_err();
            assert!(matches!(refusal, Refusal::PrivateRedirect { .. }), "{target}: {refusal:?}");
            // Trusting the provider's own origin does not trust where it redirects to.
            let trust = Trust::origin_of(&previous[0]);
            let refusal = check_redirect(&url(target), &previous, 5, &trust).unwrap_err();
            assert!(matches!(refusal, Refusal::PrivateRedirect { .. }), "{target}: {refusal:?}");
        }
        assert_eq!(check_redirect(&url("https://cdn.example.net/feed"), &previous, 5, &Trust::Nothing), Ok(()));
        assert_eq!(check_redirect(&url("https://8.8.8.8/feed"), &previous, 5, &Trust::Nothing), Ok(()));
    }

    #[test]
    fn redirect_limits_loops_and_schemes() {
        let chain: Vec<Url> = (0..6).map(|i| url(&format!("https://a.example/{i}"))).collect();
        // previous = initial + 4 redirects: the 5th redirect is allowed with max 5, the 6th is not.
        assert_eq!(check_redirect(&url("https://a.example/next"), &chain[..5], 5, &Trust::Nothing), Ok(()));
        assert_eq!(
            check_redirect(&url("https://a.example/next"), &chain[..6], 5, &Trust::Nothing),
            Err(Refusal::TooManyRedirects)
        );
        assert_eq!(
            check_redirect(&url("https://a.example/next"), &chain[..1], 0, &Trust::Nothing),
            Err(Refusal::TooManyRedirects)
        );
        assert!(matches!(check_redirect(&chain[0], &chain[..2], 5, &Trust::Nothing), Err(Refusal::Loop { .. })));
        assert!(matches!(
            check_redirect(&url("file:///etc/passwd"), &chain[..1], 5, &Trust::Nothing),
            Err(Refusal::Scheme { .. })
        ));
        assert!(matches!(
            check_redirect(&url("gopher://x/"), &chain[..1], 5, &Trust::Nothing),
            Err(Refusal::Scheme { .. })
        ));
    }

    #[test]
    fn a_trusted_origin_covers_itself_only() {
        let start = url("http://127.0.0.1:8080/feed");
        let trust = Trust::origin_of(&start);
        let previous = [start];
        assert_eq!(check_redirect(&url("http://127.0.0.1:8080/moved"), &previous, 5, &trust), Ok(()));
        for target in ["http://127.0.0.1:8081/feed", "https://127.0.0.1:8080/feed", "http://127.0.0.2:8080/feed"] {
            let refusal = check_redirect(&url(target), &previous, 5, &trust).unwrap_err();
            assert!(matches!(refusal, Refusal::PrivateRedirect { .. }), "{target}: {refusal:?}");
        }

        let start = url("http://intranet.example:8080/feed");
        let trust = Trust::origin_of(&start);
        let previous = [start];
        assert_eq!(check_redirect(&url("http://INTRANET.example:8080/x"), &previous, 5, &trust), Ok(()));
        // Its name resolves unfiltered, so the same name on another port or scheme is refused outright.
        for target in ["http://intranet.example:9200/", "https://intranet.example:8080/", "http://intranet.example./"] {
            let refusal = check_redirect(&url(target), &previous, 5, &trust).unwrap_err();
            assert!(matches!(refusal, Refusal::OtherOrigin { .. }), "{target}: {refusal:?}");
            assert!(refusal.to_string().contains("http://intranet.example:8080"), "{refusal}");
        }
        // Other names are left to the filtering resolver.
        assert_eq!(check_redirect(&url("https://cdn.example.net/feed"), &previous, 5, &trust), Ok(()));
    }

    #[tokio::test]
    async fn a_trusted_name_resolves_unfiltered_and_others_do_not() {
        let trust = Trust::origin_of(&url("http://localhost:8080/feed"));
        let resolver = GuardedResolver::new(&trust);
        let addrs: Vec<SocketAddr> = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => addrs.collect(),
            Err(e) => panic!("the trusted name must resolve: {e}"),
        };
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty(), "{addrs:?}");
        let trust = Trust::origin_of(&url("http://127.0.0.1:8080/feed"));
        assert!(GuardedResolver::new(&trust).resolve("localhost".parse().unwrap()).await.is_err());
    }

    #[tokio::test]
    async fn resolver_refuses_names_that_resolve_only_to_loopback() {
        let name: Name = "localhost".parse().unwrap();
        let err = match GuardedResolver::default().resolve(name).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let refusal = find_refusal(err.as_ref()).expect("typed refusal");
        assert!(matches!(refusal, Refusal::PrivateName { host, .. } if host == "localhost"), "{refusal:?}");
        assert!(err.to_string().contains("resolves only to private addresses"), "{err}");
    }
}
