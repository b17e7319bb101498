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

    /// Parses a robots.txt body as bytes: a UTF-8 byte-order mark is
    /// skipped; a body that is not UTF-8 is read as GB18030 (what Chinese
    /// sites save from Windows editors), so its rules still match.
    pub fn parse_bytes(body: &[u8]) -> Self {
        // A whole or partial byte-order mark, only at the start.
        let bom = [0xEF, 0xBB, 0xBF];
        let skip = (0..=3)
            .rev()
            .find(|n| body.starts_with(&bom[..*n]))
            .unwrap_or(0);
        let body = &body[skip..];
        match std::str::from_utf8(body) {
            Ok(text) => Self::parse(text),
            Err(_) => {
                let (text, _, _) = encoding_rs::GB18030.decode(body);
                Self::parse(&text)
            }
        }
    }

    /// Parses robots.txt text. Lines end in LF, CRLF or a bare CR; a
    /// byte-order mark is ignored; directive names are case-insensitive and
    /// the common misspellings of `disallow` and `user-agent` count (erring
    /// towards not fetching); a missing colon is tolerated (`Disallow /x`).
    /// A group is one or more `User-agent` lines followed by rules; lines
    /// that are not group lines (`Sitemap`, unknown keys) neither end the
    /// run of `User-agent` lines nor the group.
    pub fn parse(text: &str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut groups: Vec<Group> = Vec::new();
        let mut current: Option<Group> = None;
        // Whether a rule has been seen since the last `User-agent` line: the
        // next `User-agent` line then starts a new group.
        let mut seen_rule = true;
        for line in text.split(['\n', '\r']) {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = split_directive(line) else {
                continue;
            };
            match Directive::of(&key) {
                Directive::UserAgent => {
                    if seen_rule {
                        if let Some(g) = current.take() {
                            groups.push(g);
                        }
                        current = Some(Group::default());
                        seen_rule = false;
                    }
                    if let Some(g) = current.as_mut() {
                        g.agents.push(agent_token(value));
                    }
                }
                Directive::Allow | Directive::Disallow => {
                    seen_rule = true;
                    if let Some(g) = current.as_mut()
                        && !value.is_empty()
                    {
                        g.rules
                            .push((Directive::of(&key) == Directive::Allow, normalise(value)));
                    }
                }
                Directive::CrawlDelay => {
                    if let Some(g) = current.as_mut() {
                        g.crawl_delay = value
                            .parse::<f64>()
                            .ok()
                            .filter(|d| d.is_finite() && *d >= 0.0);
                    }
                }
                Directive::Other => {}
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
        let token = agent_token(user_agent);
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
        let path = normalise(path);
        let mut best: Option<(usize, bool)> = None;
        for g in self.groups_for(user_agent) {
            for (allow, pattern) in &g.rules {
                if matches(pattern, &path) {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    UserAgent,
    Allow,
    Disallow,
    CrawlDelay,
    Other,
}

impl Directive {
    fn of(key: &str) -> Self {
        match key {
            "user-agent" | "useragent" | "user agent" | "user_agent" => Self::UserAgent,
            "allow" => Self::Allow,
            "disallow" | "dissallow" | "dissalow" | "disalow" | "diasllow" | "disallaw" => {
                Self::Disallow
            }
            "crawl-delay" | "crawldelay" | "crawl_delay" => Self::CrawlDelay,
            _ => Self::Other,
        }
    }
}

/// `key: value` (the key lowercased), or `key value` when the colon is
/// missing and the rest is one word.
fn split_directive(line: &str) -> Option<(String, &str)> {
    if let Some((k, v)) = line.split_once(':') {
        let k = k.trim();
        if k.is_empty() {
            return None;
        }
        return Some((k.to_ascii_lowercase(), v.trim()));
    }
    let mut words = line.split_whitespace();
    let (k, v) = (words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    Some((k.to_ascii_lowercase(), v))
}

/// The product token of a user-agent string (`FooBot/1.0 (+url)` and
/// `FooBot 1.0` → `foobot`): letters, `-` and `_`, lowercased. `*` stays.
fn agent_token(value: &str) -> String {
    let value = value.trim();
    if value == "*" || value.starts_with("* ") || value.starts_with("*\t") {
        return "*".into();
    }
    value
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The one form in which rules and paths are compared (RFC 9309 §2.2.2):
/// bytes outside printable ASCII are percent-encoded and every escape is
/// written with upper-case hex. So `/新闻`, `/%e6%96%b0%e9%97%bb` and
/// `/%E6%96%B0%E9%97%BB` are the same path. Escapes are not decoded (as in
/// Google's reference parser: `/%62az` is not `/baz`).
pub fn normalise(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
        } else if b.is_ascii_graphic() {
            out.push(b as char);
            i += 1;
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
            i += 1;
        }
    }
    out
}

/// Pattern match from the start of the path: `*` is any run, a final `$`
/// anchors the end. Both sides are in [`normalise`]d form.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p.as_bytes(), true),
        None => (pattern.as_bytes(), false),
    };
    let path = path.as_bytes();
    // Classic wildcard matching with one backtrack point per `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() && (!anchored || t == path.len()) {
            return true;
        }
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && t < path.len() && pattern[p] == path[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star
            && st < path.len()
        {
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
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
