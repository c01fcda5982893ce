//! Validated logical identifiers.
//!
//! A [`LogicalId`] names a resource, parameter or output inside one stack. It follows
//! CloudFormation's rule (`[A-Za-z0-9]+`, at most 255 characters) because that is the strictest
//! of the backends; every backend derives its own names from it deterministically
//! ([`LogicalId::snake_case`] for Terraform labels).

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// Longest logical id CloudFormation accepts.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

/// A logical id that breaks the naming rule ([`crate::CoreError`] carries it on).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("logical id `{id}` is not valid: {reason}")]
pub struct InvalidLogicalId {
    /// The id as given.
    pub id: String,
    /// Why, and what to do.
    pub reason: String,
}

/// A resource, parameter or output name, valid in every backend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct LogicalId(String);

impl LogicalId {
    /// Checks `id` against `[A-Za-z0-9]+` and the length limit.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidLogicalId> {
        let id = id.into();
        if id.is_empty() {
            return Err(InvalidLogicalId {
                id,
                reason: "it is empty; use letters and digits, e.g. `WebServerGroup`".into(),
            });
        }
        if id.len() > MAX_LOGICAL_ID_LEN {
            return Err(InvalidLogicalId {
                reason: format!("it has {} characters; the limit is {MAX_LOGICAL_ID_LEN}", id.len()),
                id,
            });
        }
        if let Some(bad) = id.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(InvalidLogicalId {
                reason: format!(
                    "it contains {bad:?}; only ASCII letters and digits are allowed (CloudFormation's rule), \
                     e.g. `WebServerGroup` instead of `web-server-group`"
                ),
                id,
            });
        }
        if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(InvalidLogicalId {
                reason: "it must start with a letter (Terraform labels cannot start with a digit)".into(),
                id,
            });
        }
        Ok(Self(id))
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `WebServerGroup` -> `web_server_group`; `DBInstance2` -> `db_instance2`. Used for Terraform
    /// labels; deterministic and injective for ids that differ in more than case.
    pub fn snake_case(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let mut out = String::with_capacity(chars.len() + 4);
        for (i, &c) in chars.iter().enumerate() {
            if c.is_ascii_uppercase() {
                let prev = i.checked_sub(1).map(|j| chars[j]);
                let next = chars.get(i + 1).copied();
                let boundary = match prev {
                    Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                    Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                    None | Some(_) => false,
                };
                if boundary {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// `WebServerGroup` -> `web-server-group`, for physical names.
    pub fn kebab_case(&self) -> String {
        self.snake_case().replace('_', "-")
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for LogicalId {
    type Error = InvalidLogicalId;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// Returns `name` if it fits in `max` characters, otherwise a prefix of it plus `-` and eight hex
/// digits of a stable hash (FNV-1a) of the whole name, so that truncated names stay unique and
/// the same input always gives the same output. Physical names derived from logical ids go
/// through it ([`crate::naming`] re-exports it).
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
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_alphanumeric() {
        assert_eq!(LogicalId::new("Web1").unwrap().as_str(), "Web1");
    }

    #[test]
    fn rejects_bad_ids_with_reason() {
        for bad in ["", "web-server", "1Web", "a b", &"A".repeat(256)] {
            let err = LogicalId::new(bad).unwrap_err().to_string();
            assert!(err.contains("logical id"), "{err}");
        }
        let err = LogicalId::new("web-server").unwrap_err().to_string();
        assert!(err.contains("'-'"), "{err}");
    }

    #[test]
    fn snake_case_labels() {
        let cases = [
            ("WebServerGroup", "web_server_group"),
            ("DBInstance", "db_instance"),
            ("Vpc", "vpc"),
            ("PublicSubnet1", "public_subnet1"),
            ("HTTPSListener", "https_listener"),
            ("AppSG2Rule", "app_sg2_rule"),
        ];
        for (id, want) in cases {
            assert_eq!(LogicalId::new(id).unwrap().snake_case(), want, "{id}");
        }
    }

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
