//! Address safety: refuse non-public addresses (loopback, private,
//! link-local, CGNAT, multicast, documentation, IPv4-mapped forms of
//! those…) unless allow-listed. Enforced in the DNS resolver the HTTP client
//! uses, so it holds for every redirect hop and every DNS answer.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::CrawlError;

pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240) // reserved
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let v4_at = |i: usize| Ipv4Addr::from(((s[i] as u32) << 16) | s[i + 1] as u32);
            // 6to4 (2002::/16) carries an IPv4 address in bits 16..48.
            if s[0] == 0x2002 && !is_public_v4(v4_at(1)) {
                return false;
            }
            // Teredo (2001:0::/32): the server's IPv4 in bits 32..64, the
            // client's, inverted, in the last 32 bits.
            if s[0] == 0x2001 && s[1] == 0 {
                let client = Ipv4Addr::from(!u32::from(v4_at(6)));
                if !is_public_v4(v4_at(2)) || !is_public_v4(client) {
                    return false;
                }
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some sites)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 → may reach private v4
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0)) // IPv4-compatible
        }
    }
}

/// Hosts and IPs a source allows even though they are not public.
#[derive(Clone, Debug, Default)]
pub struct Allow(pub Vec<String>);

impl Allow {
    fn allows_ip(&self, ip: IpAddr) -> bool {
        self.0
            .iter()
            .any(|a| a.parse::<IpAddr>().is_ok_and(|x| x == ip))
    }

    fn allows_host(&self, host: &str) -> bool {
        self.0.iter().any(|a| a.eq_ignore_ascii_case(host))
    }

    pub fn ip_ok(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allows_ip(ip)
    }
}

/// Parses and checks a URL: http(s) only, and a literal IP host must be
/// public or allow-listed (hostnames are checked when resolved).
pub fn check_url(raw: &str, allow: &Allow) -> Result<Url, CrawlError> {
    let url = Url::parse(raw).map_err(|e| CrawlError::BadUrl(format!("{raw}: {e}")))?;
    check_parsed(&url, allow)?;
    Ok(url)
}

pub fn check_parsed(url: &Url, allow: &Allow) -> Result<(), CrawlError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CrawlError::BadUrl(format!("{url}: only http and https")));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(CrawlError::BadUrl(format!("{url}: no host"))),
    };
    if allow.ip_ok(ip) {
        Ok(())
    } else {
        Err(CrawlError::AddressNotAllowed(url.to_string()))
    }
}

/// A DNS resolver that drops non-public answers (unless allow-listed by
/// host name or IP) and fails if none is left.
pub struct GuardedResolver {
    pub allow: Allow,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow = self.allow.clone();
        Box::pin(async move {
            let host_allowed = allow.allows_host(&host);
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let ok: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| host_allowed || allow.ip_ok(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err(Box::new(CrawlError::AddressNotAllowed(host))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

pub fn resolver(allow: Allow) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { allow })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_public_and_odd_forms() {
        let none = Allow::default();
        for u in [
            "http://127.0.0.1/",
            "http://2130706433/", // decimal 127.0.0.1
            "http://0x7f.1/",     // hex
            "http://0177.0.0.1/", // octal
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/", // cloud metadata
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::ffff:10.0.0.1]/", // IPv4-mapped
            "http://[::ffff:7f00:1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[fec0::1]/",                   // site-local
            "http://[2002:7f00:1::]/",             // 6to4 of 127.0.0.1
            "http://[2002:a00:1::1]/",             // 6to4 of 10.0.0.1
            "http://[2002:a9fe:a9fe::]/",          // 6to4 of 169.254.169.254
            "http://[2001:0:a00:1::1]/",           // Teredo, server 10.0.0.1
            "http://[2001:0:808:808::80ff:fffe]/", // Teredo, client 127.0.0.1
        ] {
            assert!(
                matches!(check_url(u, &none), Err(CrawlError::AddressNotAllowed(_))),
                "{u}"
            );
        }
        for u in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "gopher://x/",
        ] {
            assert!(
                matches!(check_url(u, &none), Err(CrawlError::BadUrl(_))),
                "{u}"
            );
        }
        assert!(check_url("https://www.gov.cn/", &none).is_ok());
        assert!(check_url("http://8.8.8.8/", &none).is_ok());
        // 6to4 and Teredo of public addresses stay allowed.
        assert!(check_url("http://[2002:808:808::1]/", &none).is_ok());
        assert!(check_url("http://[2001:0:808:808::f7f7:f7f7]/", &none).is_ok());
        assert!(check_url("http://[2400:3200::1]/", &none).is_ok());
    }

    #[test]
    fn allow_list_is_exact() {
        let allow = Allow(vec!["127.0.0.1".into()]);
        assert!(check_url("http://127.0.0.1:8080/", &allow).is_ok());
        assert!(check_url("http://10.0.0.1/", &allow).is_err());
        assert!(check_url("http://[::1]/", &allow).is_err());
    }
}
