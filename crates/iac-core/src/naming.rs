//! Deterministic physical names that fit AWS length limits.

/// Returns `name` if it fits in `max` characters, otherwise a prefix of it plus `-` and eight hex
/// digits of a stable hash (FNV-1a) of the whole name, so that truncated names stay unique and
/// the same input always gives the same output.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let hash = fnv1a(name.as_bytes());
    let keep = max.saturating_sub(9);
    let prefix = name[..keep].trim_end_matches('-');
    format!("{prefix}-{hash:08x}")
}

/// 32-bit FNV-1a.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_and_stays_stable() {
        assert_eq!(fit("short", 32), "short");
        let long = "aquamark-prod-application-load-balancer";
        let a = fit(long, 32);
        assert_eq!(a.len(), 32);
        assert_eq!(a, fit(long, 32));
        assert_ne!(a, fit("aquamark-prod-application-load-balancer2", 32));
    }
}
