//! robots.txt (RFC 9309): groups per user agent, longest-match allow /
//! disallow with `*` and `$`, plus the common `Crawl-delay` extension.
use std::time::Duration;

#[derive(Clone, Debug, Default)]
struct Group {
    agents: Vec<String>,
    rules: Vec<(bool, String)>,
    crawl_delay: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct Robots {
    groups: Vec<Group>,
    disallow_all: bool,
}

impl Robots {
    /// No robots.txt (4xx): everything is allowed.
    pub fn allow_all() -> Self {
        Self::default()
    }

    /// robots.txt unreachable (5xx, network error): assume complete disallow.
    pub fn disallow_all() -> Self {
        Self {
            groups: vec![],
            disallow_all: true,
        }
    }

    pub fn parse(text: &str) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        let mut current: Option<Group> = None;
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        if let Some(g) = current.take() {
                            groups.push(g);
                        }
                        current = Some(Group::default());
                        in_agents = true;
                    }
                    if let Some(g) = current.as_mut() {
                        g.agents.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    if let Some(g) = current.as_mut()
                        && !value.is_empty()
                    {
                        g.rules.push((key == "allow", value.to_owned()));
                    }
                }
                "crawl-delay" => {
                    in_agents = false;
                    if let Some(g) = current.as_mut() {
                        g.crawl_delay = value
                            .parse::<f64>()
                            .ok()
                            .filter(|d| d.is_finite() && *d >= 0.0);
                    }
                }
                _ => in_agents = false,
            }
        }
        if let Some(g) = current {
            groups.push(g);
        }
        Self {
            groups,
            disallow_all: false,
        }
    }

    /// The groups that apply to `user_agent` (its product token), else `*`.
    fn groups_for(&self, user_agent: &str) -> Vec<&Group> {
        let token = user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let specific: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| {
                g.agents
                    .iter()
                    .any(|a| a != "*" && !a.is_empty() && token == *a)
            })
            .collect();
        if !specific.is_empty() {
            return specific;
        }
        self.groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| a == "*"))
            .collect()
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn is_allowed(&self, user_agent: &str, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let mut best: Option<(usize, bool)> = None;
        for g in self.groups_for(user_agent) {
            for (allow, pattern) in &g.rules {
                if matches(pattern, path) {
                    let len = pattern.len();
                    best = match best {
                        Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                        _ => Some((len, *allow)),
                    };
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    pub fn crawl_delay(&self, user_agent: &str) -> Option<Duration> {
        self.groups_for(user_agent)
            .iter()
            .filter_map(|g| g.crawl_delay)
            .next()
            .map(|s| Duration::from_secs_f64(s.min(60.0)))
    }
}

/// Pattern match from the start of the path: `*` is any run, a final `$` anchors the end.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 && anchored {
            return path.len() >= pos + part.len() && path.ends_with(part);
        } else {
            match path[pos..].find(part) {
                Some(at) => pos += at + part.len(),
                None => return false,
            }
        }
    }
    !anchored || pos == path.len() || (parts.len() > 1 && parts.last() == Some(&""))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TXT: &str = "
# comment
User-agent: *
Disallow: /private/
Allow: /private/open$
Crawl-delay: 2

User-agent: HongchaBot
User-agent: other
Disallow: /nohongcha
Disallow: /*.pdf$
";

    #[test]
    fn groups_and_longest_match() {
        let r = Robots::parse(TXT);
        assert!(!r.is_allowed("SomeBot/1.0", "/private/x"));
        assert!(r.is_allowed("SomeBot/1.0", "/private/open"));
        assert!(!r.is_allowed("SomeBot/1.0", "/private/open/more"));
        assert!(r.is_allowed("SomeBot/1.0", "/nohongcha"));
        assert_eq!(r.crawl_delay("SomeBot/1.0"), Some(Duration::from_secs(2)));
        // HongchaBot has its own group: `*` rules no longer apply.
        assert!(r.is_allowed("HongchaBot/0.1 (+x)", "/private/x"));
        assert!(!r.is_allowed("HongchaBot/0.1", "/nohongcha/page"));
        assert!(!r.is_allowed("hongchabot", "/files/a.pdf"));
        assert!(r.is_allowed("hongchabot", "/files/a.pdf?x=1"));
        assert_eq!(r.crawl_delay("HongchaBot"), None);
        assert!(r.is_allowed("x", "/robots.txt"));
    }

    #[test]
    fn missing_and_unreachable() {
        assert!(Robots::allow_all().is_allowed("a", "/anything"));
        assert!(!Robots::disallow_all().is_allowed("a", "/anything"));
        assert!(Robots::parse("").is_allowed("a", "/x"));
        assert!(!Robots::parse("User-agent: *\nDisallow: /").is_allowed("a", "/x"));
    }
}
