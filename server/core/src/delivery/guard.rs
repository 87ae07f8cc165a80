//! SSRF guard: which addresses outbound deliveries may connect to. Checked on the address
//! that DNS resolution produced, and that vetted address is the one connected to.

use std::net::IpAddr;
use std::str::FromStr;

/// A network in CIDR notation, e.g. `10.0.0.0/8` or `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if prefix.is_empty() {
            max
        } else {
            prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0-{max}"))?
        };
        Ok(Cidr { addr, prefix })
    }
}

/// IPv4-mapped IPv6 (`::ffff:169.254.169.254`) is judged as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Cloud metadata services: refused whatever the configuration says.
const ALWAYS_DENIED: &[&str] = &[
    "169.254.0.0/16", // link-local, incl. 169.254.169.254 (AWS, GCP, Azure) and 169.254.170.2 (ECS)
    "fd00:ec2::254/128", // AWS IMDS over IPv6
    "100.100.100.200/32", // Alibaba Cloud
    "fe80::/10",      // IPv6 link-local
];

/// The configured policy (`HOOKYARD_ENDPOINT_ALLOW_NETWORKS`, `..._DENY_NETWORKS`).
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    /// If not empty, only these networks may be reached.
    pub allow: Vec<Cidr>,
    /// Never these.
    pub deny: Vec<Cidr>,
}

impl NetworkPolicy {
    /// Parses comma-separated CIDR lists.
    pub fn parse(allow: &str, deny: &str) -> Result<Self, String> {
        let list = |s: &str| {
            s.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(Cidr::from_str)
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            allow: list(allow)?,
            deny: list(deny)?,
        })
    }

    /// `Err(reason)` if a delivery may not connect to `ip`.
    pub fn check(&self, ip: IpAddr) -> Result<(), String> {
        let ip = canonical(ip);
        let always = ALWAYS_DENIED.iter().filter_map(|c| c.parse::<Cidr>().ok());
        if always.clone().any(|c| c.contains(ip)) || ip.is_unspecified() {
            return Err(format!(
                "{ip} is a cloud metadata or link-local address, always refused"
            ));
        }
        if self.deny.iter().any(|c| c.contains(ip)) {
            return Err(format!("{ip} is in HOOKYARD_ENDPOINT_DENY_NETWORKS"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|c| c.contains(ip)) {
            return Err(format!("{ip} is not in HOOKYARD_ENDPOINT_ALLOW_NETWORKS"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn metadata_addresses_are_always_refused() {
        let open = NetworkPolicy::default();
        for bad in [
            "169.254.169.254",
            "169.254.170.2",
            "fd00:ec2::254",
            "100.100.100.200",
            "::ffff:169.254.169.254",
            "0.0.0.0",
            "fe80::1",
        ] {
            assert!(open.check(ip(bad)).is_err(), "{bad}");
        }
        let allow_all = NetworkPolicy::parse("0.0.0.0/0,::/0", "").unwrap();
        assert!(allow_all.check(ip("169.254.169.254")).is_err());
        assert!(open.check(ip("127.0.0.1")).is_ok());
        assert!(open.check(ip("93.184.216.34")).is_ok());
    }

    #[test]
    fn allow_and_deny_lists() {
        let p = NetworkPolicy::parse("10.0.0.0/8, 127.0.0.1", "10.9.0.0/16").unwrap();
        assert!(p.check(ip("10.1.2.3")).is_ok());
        assert!(p.check(ip("127.0.0.1")).is_ok());
        assert!(p.check(ip("127.0.0.2")).unwrap_err().contains("ALLOW"));
        assert!(p.check(ip("10.9.1.1")).unwrap_err().contains("DENY"));
        assert!(p.check(ip("::ffff:10.1.2.3")).is_ok());
        assert!(NetworkPolicy::parse("10.0.0.0/33", "").is_err());
        assert!(NetworkPolicy::parse("example.com", "").is_err());
        let everything = NetworkPolicy::parse("", "0.0.0.0/0").unwrap();
        assert!(everything.check(ip("8.8.8.8")).is_err());
        assert!(everything.check(ip("::1")).is_ok());
    }
}
