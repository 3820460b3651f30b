//! Partitioning: Kafka's default murmur2 partitioner (the one Java clients use, so other
//! producers agree with ours) and the partition key of offering events.

/// Kafka's murmur2 of `data` (seed 0x9747b28c), as `org.apache.kafka.common.utils.Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition of `key` among `partitions`, as Kafka's default partitioner picks it.
pub fn partition_for(key: &[u8], partitions: i32) -> i32 {
    if partitions <= 1 {
        return 0;
    }
    (murmur2(key) & 0x7fff_ffff) % partitions
}

/// The partition key of a provider's offering events: its city, transliterated and folded
/// (`Витебск` → `vitebsk`), so the offerings of one city — the possible cross-provider
/// duplicates — meet on one catalog-builder partition; the provider id when it names no city.
/// All events of one provider share one key, so its upserts and snapshot stay in order.
pub fn city_key(city: Option<&str>, provider_id: &str) -> String {
    let folded: String = city
        .map(|c| any_ascii::any_ascii(c).chars().filter(char::is_ascii_alphanumeric).collect::<String>())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if folded.is_empty() { format!("provider:{provider_id}") } else { format!("city:{folded}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors of Kafka's own `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka() {
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (data, expected) in cases {
            assert_eq!(murmur2(data), *expected, "{}", String::from_utf8_lossy(data));
        }
    }

    #[test]
    fn partitions_are_in_range_and_stable() {
        for key in ["a", "vsu", "city:vitebsk", ""] {
            let p = partition_for(key.as_bytes(), 12);
            assert!((0..12).contains(&p));
            assert_eq!(p, partition_for(key.as_bytes(), 12));
        }
        assert_eq!(partition_for(b"x", 1), 0);
    }

    #[test]
    fn city_keys_fold_script_and_case() {
        assert_eq!(city_key(Some("Витебск"), "p"), "city:vitebsk");
        assert_eq!(city_key(Some("VITEBSK "), "p"), "city:vitebsk");
        assert_eq!(city_key(None, "vsu"), "provider:vsu");
        assert_eq!(city_key(Some(" - "), "vsu"), "provider:vsu");
    }
}
