//! IPv4 CIDR blocks: parsing and carving subnets out of a VPC range; checking IPv4 and IPv6
//! CIDR text.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IPv4 network such as `10.20.0.0/16`, with the host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Cidr {
    base: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// The block `a.b.c.d/prefix` (host bits cleared).
    pub const fn new(octets: [u8; 4], prefix: u8) -> Self {
        let base = u32::from_be_bytes(octets);
        let mask = if prefix == 0 {
            0
        } else if prefix >= 32 {
            u32::MAX
        } else {
            u32::MAX << (32 - prefix)
        };
        Self { base: base & mask, prefix: if prefix > 32 { 32 } else { prefix } }
    }

    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The `index`-th subnet of prefix length `prefix` inside this block, if it fits.
    pub fn subnet(self, prefix: u8, index: u32) -> Option<Self> {
        if prefix < self.prefix || prefix > 32 {
            return None;
        }
        let bits = u32::from(prefix - self.prefix);
        if bits < 32 && index >= (1u32 << bits) {
            return None;
        }
        let size = if prefix == 32 { 1 } else { 1u32 << (32 - u32::from(prefix)) };
        Some(Self { base: self.base + index * size, prefix })
    }

    /// True when `other` lies inside this block.
    pub fn contains(self, other: Self) -> bool {
        other.prefix >= self.prefix && (other.base & mask(self.prefix)) == self.base
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
}

impl FromStr for Ipv4Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s.split_once('/').ok_or_else(|| format!("`{s}` is not a CIDR block like 10.0.0.0/16"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| format!("`{addr}` in `{s}` is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`/{prefix}` in `{s}` is not a prefix length 0-32"))?;
        let base = u32::from(addr);
        if base & !mask(prefix) != 0 {
            let net = Ipv4Addr::from(base & mask(prefix));
            return Err(format!("`{s}` has host bits set; did you mean `{net}/{prefix}`?"));
        }
        Ok(Self { base, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.base), self.prefix)
    }
}

impl Serialize for Ipv4Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ipv4Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why `s` is not an IPv4 or IPv6 CIDR, if it is not.
pub(crate) fn cidr_problem(s: &str) -> Option<String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Some(format!("`{s}` is not a CIDR (address/length)"));
    };
    let max = if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        128
    } else {
        return Some(format!("`{addr}` in `{s}` is not an IP address"));
    };
    match len.parse::<u8>() {
        Ok(l) if l <= max => None,
        _ => Some(format!("`/{len}` in `{s}` is not a prefix length from 0 to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_carves() {
        let vpc: Ipv4Cidr = "10.20.0.0/16".parse().unwrap();
        assert_eq!(vpc.subnet(20, 0).unwrap().to_string(), "10.20.0.0/20");
        assert_eq!(vpc.subnet(20, 3).unwrap().to_string(), "10.20.48.0/20");
        assert!(vpc.subnet(20, 16).is_none());
        assert!(vpc.contains("10.20.48.0/20".parse().unwrap()));
        assert!(!vpc.contains("10.21.0.0/20".parse().unwrap()));
        assert!("10.20.0.1/16".parse::<Ipv4Cidr>().unwrap_err().contains("10.20.0.0/16"));
        assert!("10.20.0.0".parse::<Ipv4Cidr>().is_err());
        assert!("10.20.0.0/33".parse::<Ipv4Cidr>().is_err());
    }
}
