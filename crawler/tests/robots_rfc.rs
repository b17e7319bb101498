//! robots.txt held against the RFC 9309 cases of Google's open-source
//! robots.txt test suite (`robots_test.cc`, the tests not marked
//! Google-specific), plus what Chinese sites write: rules in Chinese or with
//! lower-case escapes, a byte-order mark, bare-CR line ends, GB18030 files.
//!
//! One deliberate difference: Google's parser compares the URL as given,
//! so a raw (unencoded) non-ASCII path does not match an encoded rule.
//! Hongcha normalises both sides, and the URL library always hands the
//! crawler encoded paths, so those raw-byte rows are left out.
use crawler::robots::Robots;

const G1: &str = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n";
const O1: &str =
    "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\nUser-agent: *\nDisallow: /\n";
const O2: &str = "User-agent: FooBot\nInvalid-Unknown-Line: unknown\nUser-agent: *\nDisallow: /\n";
const C1: &str = "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n";
const C2: &str = "user-agent: FooBot\nallow: /x/\ndisallow: /\n";
const C3: &str = "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n";
const U1: &str = "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n";
const U2: &str = "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n";
const U3: &str = "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n";
const S1: &str = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
const S2: &str = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n";
const M1: &str = "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n";
const M2: &str = "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n";
const M3: &str = "user-agent: FooBot\ndisallow: \nallow: \n";
const M4: &str = "user-agent: FooBot\ndisallow: /\nallow: /\n";
const M5: &str = "user-agent: FooBot\ndisallow: /x\nallow: /x/\n";
const M6: &str = "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n";
const M7: &str = "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n";
const M8: &str = "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n";
const M9: &str = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n";
const E1: &str =
    "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n";
const E2: &str = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/\u{30C4}\n";
const E3: &str = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n";
const E4: &str = "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n";
const P1: &str = "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n";
const P2: &str = "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n";
const P3: &str = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n";
const N1: &str = "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n";
const N2: &str =
    "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n";
const N3: &str = "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r";
const N4: &str = "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /";
const N5: &str = "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /";

/// (robots.txt, user agent, path, allowed)
const RFC_CASES: &[(&str, &str, &str, bool)] = &[
    // ID_LineSyntax_Line
    ("user-agent: FooBot\ndisallow: /\n", "FooBot", "/x/y", false),
    ("foo: FooBot\nbar: /\n", "FooBot", "/x/y", true),
    ("user-agent FooBot\ndisallow /\n", "FooBot", "/x/y", false),
    // ID_LineSyntax_Groups
    (G1, "FooBot", "/x/b", true),
    (G1, "FooBot", "/z/d", true),
    (G1, "FooBot", "/y/c", false),
    (G1, "BarBot", "/y/c", true),
    (G1, "BarBot", "/w/a", true),
    (G1, "BarBot", "/z/d", false),
    (G1, "BazBot", "/z/d", true),
    (G1, "FooBot", "/foo/bar/", false),
    (G1, "BarBot", "/foo/bar/", false),
    (G1, "BazBot", "/foo/bar/", false),
    // ID_LineSyntax_Groups_OtherRules
    (O1, "FooBot", "/", false),
    (O1, "BarBot", "/", false),
    (O2, "FooBot", "/", false),
    (O2, "BarBot", "/", false),
    // ID_REPLineNamesCaseInsensitive
    (C1, "FooBot", "/x/y", true),
    (C2, "FooBot", "/x/y", true),
    (C3, "FooBot", "/x/y", true),
    (C1, "FooBot", "/a/b", false),
    (C2, "FooBot", "/a/b", false),
    (C3, "FooBot", "/a/b", false),
    // ID_UserAgentValueCaseInsensitive
    (U1, "Foo", "/x/y", true),
    (U2, "Foo", "/x/y", true),
    (U3, "Foo", "/x/y", true),
    (U1, "foo", "/x/y", true),
    (U2, "foo", "/x/y", true),
    (U3, "foo", "/x/y", true),
    (U1, "Foo", "/a/b", false),
    (U2, "Foo", "/a/b", false),
    (U3, "Foo", "/a/b", false),
    (U1, "foo", "/a/b", false),
    (U2, "foo", "/a/b", false),
    (U3, "foo", "/a/b", false),
    // ID_GlobalGroups_Secondary
    ("", "FooBot", "/x/y", true),
    (S1, "FooBot", "/x/y", false),
    (S1, "BarBot", "/x/y", true),
    (S2, "QuxBot", "/x/y", true),
    // ID_AllowDisallow_Value_CaseSensitive
    (
        "user-agent: FooBot\ndisallow: /x/\n",
        "FooBot",
        "/x/y",
        false,
    ),
    (
        "user-agent: FooBot\ndisallow: /X/\n",
        "FooBot",
        "/x/y",
        true,
    ),
    // ID_LongestMatch
    (M1, "FooBot", "/x/page.html", false),
    (M2, "FooBot", "/x/page.html", true),
    (M2, "FooBot", "/x/", false),
    (M3, "FooBot", "/x/page.html", true),
    (M4, "FooBot", "/x/page.html", true),
    (M5, "FooBot", "/x", false),
    (M5, "FooBot", "/x/", true),
    (M6, "FooBot", "/x/page.html", true),
    (M7, "FooBot", "/page.html", false),
    (M7, "FooBot", "/page", true),
    (M8, "FooBot", "/x/page.html", true),
    (M8, "FooBot", "/x/y.html", false),
    (M9, "FooBot", "/x/page", true),
    (M9, "FooBot", "/y/page", false),
    // ID_Encoding
    (
        E1,
        "FooBot",
        "/foo/bar?qux=taz&baz=http://foo.bar?tar&par",
        true,
    ),
    (E2, "FooBot", "/foo/bar/%E3%83%84", true),
    (E3, "FooBot", "/foo/bar/%E3%83%84", true),
    (E4, "FooBot", "/foo/bar/baz", false),
    (E4, "FooBot", "/foo/bar/%62%61%7A", true),
    // ID_SpecialCharacters
    (P1, "FooBot", "/foo/bar/quz", false),
    (P1, "FooBot", "/foo/quz", true),
    (P1, "FooBot", "//foo/quz", true),
    (P1, "FooBot", "/foo/bax/quz", true),
    (P2, "FooBot", "/foo/bar", false),
    (P2, "FooBot", "/foo/bar/qux", true),
    (P2, "FooBot", "/foo/bar/", true),
    (P2, "FooBot", "/foo/bar/baz", true),
    (P3, "FooBot", "/foo/bar", true),
    (P3, "FooBot", "/foo/quz", false),
    // ID_LinesNumbersAreCountedCorrectly: every line-end form
    (N1, "bar", "/x", false),
    (N2, "bar", "/x", false),
    (N3, "bar", "/x", false),
    (N4, "bar", "/x", false),
    (N5, "bar", "/x", false),
    (N1, "foo", "/some/path", true),
    (N3, "foo", "/some/path", true),
    (N5, "foo", "/other", true),
];

#[test]
fn rfc9309_cases_of_the_reference_suite() {
    let mut failed = Vec::new();
    for (i, (txt, agent, path, want)) in RFC_CASES.iter().enumerate() {
        let got = Robots::parse_bytes(txt.as_bytes()).is_allowed(agent, path);
        if got != *want {
            failed.push(format!(
                "#{i} {agent} {path}: want {want}, got {got}\n{txt}"
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} failed:\n{}",
        failed.len(),
        RFC_CASES.len(),
        failed.join("\n---\n")
    );
}

#[test]
fn byte_order_marks() {
    let cases: &[(&[u8], bool)] = &[
        (b"\xEF\xBB\xBFUser-Agent: foo\nDisallow: /\n", false),
        (b"\xEF\xBBUser-Agent: foo\nDisallow: /\n", false),
        (b"\xEFUser-Agent: foo\nDisallow: /\n", false),
        // Not a BOM: the first line is garbage, so no group.
        (b"\xEF\x11\xBFUser-Agent: foo\nDisallow: /\n", true),
    ];
    for (body, want) in cases {
        assert_eq!(
            Robots::parse_bytes(body).is_allowed("foo", "/x"),
            *want,
            "{body:?}"
        );
    }
}

/// What a URL library hands the crawler for `/新闻/内部?页=1`.
fn encoded(path: &str) -> String {
    url::Url::parse(&format!("https://jd.example.cn{path}"))
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap()
}

#[test]
fn chinese_sites() {
    let bot = "HongchaBot/0.1 (+https://hongcha.example)";
    // A rule written in Chinese matches the encoded path.
    let r = Robots::parse("User-agent: *\nDisallow: /内部通知/\nDisallow: /*?搜索=\n");
    assert!(!r.is_allowed(bot, &encoded("/内部通知/2026/1.html")));
    assert!(!r.is_allowed(bot, &encoded("/list?搜索=电梯")));
    assert!(r.is_allowed(bot, &encoded("/公开/1.html")));
    // Lower-case escapes in the rule.
    let r = Robots::parse("User-agent: *\nDisallow: /%e5%86%85%e9%83%a8\n");
    assert!(!r.is_allowed(bot, &encoded("/内部/a")));
    // A GB18030 file (saved from a Windows editor) still matches.
    let (gbk, _, _) = encoding_rs::GB18030.encode("User-agent: *\r\nDisallow: /内部/\r\n");
    assert!(!Robots::parse_bytes(&gbk).is_allowed(bot, &encoded("/内部/a")));
    // A BOM and bare-CR line ends.
    let r = Robots::parse_bytes(b"\xEF\xBB\xBFUser-agent: *\rDisallow: /admin\r");
    assert!(!r.is_allowed(bot, "/admin/x"));
    // Sitemap and unknown lines between User-agent lines keep the group.
    let r = Robots::parse(
        "User-agent: Baiduspider\nSitemap: https://x.cn/s.xml\nUser-agent: HongchaBot\nHost: x.cn\nUser-agent: Googlebot\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
    );
    assert!(!r.is_allowed(bot, "/page"));
    // `*bot` is not the global group; `* ` is.
    let r = Robots::parse("User-agent: *bot\nDisallow: /\n");
    assert!(r.is_allowed(bot, "/page"));
    let r = Robots::parse("User-agent: * \nDisallow: /\n");
    assert!(!r.is_allowed(bot, "/page"));
    // A misspelt Disallow still counts (err towards not fetching).
    let r = Robots::parse("User-agent: *\nDisalow: /private\n");
    assert!(!r.is_allowed(bot, "/private/1"));
}
