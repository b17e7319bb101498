//! 个人信息脱敏 personal-data masking in the forms residents write:
//! mainland mobile numbers (with +86 / 0086, spaces, dashes, dots), landline
//! numbers (area codes as `0571-`, `(0571)`, `+86 571`, or a bare local
//! number after 电话/座机), ID numbers (18-digit with checksum, spaced
//! 6-8-4, and the old 15-digit form with a valid date), bank card numbers
//! (Luhn verified), e-mail addresses and vehicle plates — in half-width or
//! full-width characters (`１３８１２３４５６７８`, `＠`, `（０５７１）`).
//!
//! ```
//! assert_eq!(nlp::mask("电话13812345678，找王师傅"), "电话138****5678，找王师傅");
//! assert_eq!(nlp::mask("手机１３８１２３４５６７８"), "手机138****5678");
//! ```
use std::sync::OnceLock;

use regex::Regex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiiKind {
    Email,
    IdNumber,
    BankCard,
    Mobile,
    Landline,
    Plate,
}

/// One piece of personal data found in a text (byte range).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}

struct Patterns {
    email: Regex,
    id18: Regex,
    id15: Regex,
    card: Regex,
    mobile: Regex,
    landline: Regex,
    local_after_word: Regex,
    plate: Regex,
}

const AREA: &str = "(?:10|2[0-9]|[3-9][0-9]{2})";

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
            .expect("email pattern"),
        id18: Regex::new(
            r"[1-9][0-9]{5}[ \-]?(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[ \-]?[0-9]{3}[0-9Xx]",
        )
        .expect("id pattern"),
        id15: Regex::new(
            r"[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}",
        )
        .expect("old id pattern"),
        card: Regex::new(r"[0-9]{4}(?:[ \-]?[0-9]{4}){2,3}(?:[ \-]?[0-9]{1,3})?").expect("card pattern"),
        mobile: Regex::new(r"(?:(?:\+|00)?86[ \-]?|\(\+?86\) ?)?1[3-9](?:[ \-.]?[0-9]){9}")
            .expect("mobile pattern"),
        landline: Regex::new(&format!(
            r"(?:(?:\+|00)86[ \-]?\(?0?{AREA}\)?|\(0{AREA}\)|0{AREA})[ \-]?[2-9][0-9]{{2,3}}[ \-]?[0-9]{{4}}(?:(?:-|转|ext\.?)[0-9]{{1,5}})?"
        ))
        .expect("landline pattern"),
        local_after_word: Regex::new(
            r"(?i:电话|座机|固话|联系方式|联系|tel|phone)(?:号码|号|是|为)?[:： ]*([2-9][0-9]{2,3}[ \-]?[0-9]{4})",
        )
        .expect("local number pattern"),
        plate: Regex::new(
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Za-z][ ·•\-]?[A-HJ-NP-Za-hj-np-z0-9]{5,6}",
        )
        .expect("plate pattern"),
    })
}

/// Full-width forms (`１`, `＋`, `＠`, `（`, ideographic space …) folded to
/// ASCII, one character for one character, with the byte offset in the
/// original text of every byte of the folded text (and one past the end).
fn fold(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut at = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        let f = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
            _ => c,
        };
        out.push(f);
        at.extend(std::iter::repeat_n(i, f.len_utf8()));
    }
    at.push(text.len());
    (out, at)
}

/// The match must not be glued to more letters or digits on either side.
fn bounded(text: &str, start: usize, end: usize, alnum_letters: bool) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let glued = |c: Option<char>| {
        c.is_some_and(|c| c.is_ascii_digit() || (alnum_letters && c.is_ascii_alphabetic()))
    };
    !glued(before) && !glued(after)
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// ISO 7064 MOD 11-2 check digit of a mainland resident ID number.
pub fn id_checksum_ok(id: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let chars: Vec<char> = id.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if chars.len() != 18 || !chars[..17].iter().all(char::is_ascii_digit) {
        return false;
    }
    let sum: u32 = chars[..17]
        .iter()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    C[(sum % 11) as usize] == chars[17].to_ascii_uppercase()
}

/// The Luhn check used by bank card numbers.
pub fn luhn_ok(number: &str) -> bool {
    let d = digits(number);
    if d.len() < 13 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Finds personal data, earlier kinds first where matches overlap. Ranges
/// are byte ranges of `text` (full-width forms included).
pub fn find(text: &str) -> Vec<Found> {
    let (folded, at) = fold(text);
    find_folded(&folded)
        .into_iter()
        .map(|f| Found {
            kind: f.kind,
            start: at[f.start],
            end: at[f.end],
        })
        .collect()
}

fn find_folded(text: &str) -> Vec<Found> {
    let p = patterns();
    let mut found: Vec<Found> = Vec::new();
    let mut push = |kind: PiiKind, start: usize, end: usize| {
        if !found.iter().any(|f| start < f.end && f.start < end) {
            found.push(Found { kind, start, end });
        }
    };
    for m in p.email.find_iter(text) {
        push(PiiKind::Email, m.start(), m.end());
    }
    for m in p.id18.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) && id_checksum_ok(m.as_str()) {
            push(PiiKind::IdNumber, m.start(), m.end());
        }
    }
    for m in p.id15.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) {
            push(PiiKind::IdNumber, m.start(), m.end());
        }
    }
    for m in p.mobile.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) {
            push(PiiKind::Mobile, m.start(), m.end());
        }
    }
    // After mobiles: `+8613812345678` is 13 digits that may pass Luhn.
    for m in p.card.find_iter(text) {
        let n = digits(m.as_str()).len();
        if (13..=19).contains(&n) && bounded(text, m.start(), m.end(), false) && luhn_ok(m.as_str())
        {
            push(PiiKind::BankCard, m.start(), m.end());
        }
    }
    for m in p.landline.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) {
            push(PiiKind::Landline, m.start(), m.end());
        }
    }
    for c in p.local_after_word.captures_iter(text) {
        if let Some(m) = c.get(1)
            && bounded(text, m.start(), m.end(), false)
        {
            push(PiiKind::Landline, m.start(), m.end());
        }
    }
    for m in p.plate.find_iter(text) {
        if bounded(text, m.start(), m.end(), true) {
            push(PiiKind::Plate, m.start(), m.end());
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

fn mask_one(kind: PiiKind, s: &str) -> String {
    let keep = |s: &str, head: usize, tail: usize| {
        let chars: Vec<char> = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '·' | '•' | '.' | '(' | ')' | '+'))
            .collect();
        let n = chars.len();
        let head = head.min(n);
        let tail = tail.min(n - head);
        let mut out: String = chars[..head].iter().collect();
        out.extend(std::iter::repeat_n('*', n - head - tail));
        out.extend(&chars[n - tail..]);
        out
    };
    let digit_string = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
    match kind {
        PiiKind::Email => {
            let (local, domain) = s.split_once('@').unwrap_or((s, ""));
            let first: String = local.chars().take(1).collect();
            // The domain may itself hold digits that look like a number.
            format!("{first}***@{}", mask(domain))
        }
        PiiKind::IdNumber => keep(s, 1, 1),
        PiiKind::BankCard => keep(s, 4, 4),
        PiiKind::Mobile => {
            let d = digit_string(s);
            let local = &d[d.len() - 11..];
            format!("{}****{}", &local[..3], &local[7..])
        }
        PiiKind::Landline => {
            // The area code stays (it says little), the number is hidden
            // but for its last two digits; an extension is dropped.
            let main = s.split(['转', 'e']).next().unwrap_or(s);
            let international = main.starts_with('+') || main.starts_with("00");
            let mut d = digit_string(main);
            if international {
                d = d
                    .trim_start_matches("00")
                    .trim_start_matches("86")
                    .to_owned();
                if !d.starts_with('0') {
                    d.insert(0, '0');
                }
            }
            let area = if !d.starts_with('0') {
                0
            } else if d.starts_with("010") || d.starts_with("02") {
                3
            } else {
                4
            };
            let (area_code, number) = d.split_at(area.min(d.len()));
            let tail = &number[number.len().saturating_sub(2)..];
            let stars = "*".repeat(number.len() - tail.len());
            if area_code.is_empty() {
                format!("{stars}{tail}")
            } else {
                format!("{area_code}-{stars}{tail}")
            }
        }
        PiiKind::Plate => keep(&s.to_uppercase(), 2, 1),
    }
}

/// The text with every piece of personal data masked. Idempotent; text
/// without personal data comes back unchanged.
pub fn mask(text: &str) -> String {
    let (folded, at) = fold(text);
    let found = find_folded(&folded);
    if found.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for f in found {
        out.push_str(&text[pos..at[f.start]]);
        out.push_str(&mask_one(f.kind, &folded[f.start..f.end]));
        pos = at[f.end];
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_each_kind() {
        let cases = [
            ("联系13812345678", "联系138****5678"),
            ("电话 138-1234-5678 谢谢", "电话 138****5678 谢谢"),
            ("+86 13812345678", "138****5678"),
            ("身份证11010519491231002X", "身份证1****************X"),
            ("卡号6222021234567890128", "卡号6222***********0128"),
            ("卡号 6222 0212 3456 7890 128", "卡号 6222***********0128"),
            ("邮箱 zhang.san@example.com 。", "邮箱 z***@example.com 。"),
            ("车牌浙A12345停在消防通道", "车牌浙A****5停在消防通道"),
            ("新能源浙AD12345", "新能源浙A*****5"),
            ("手机１３８１２３４５６７８", "手机138****5678"),
            ("手机 138.1234.5678", "手机 138****5678"),
            ("(+86)138 1234 5678", "138****5678"),
            ("座机0571-87654321转123", "座机0571-******21"),
            ("（０５７１）８７６５４３２１", "0571-******21"),
            ("北京 010-62345678", "北京 010-******78"),
            ("+86 571 8765 4321", "0571-******21"),
            ("电话：87654321", "电话：******21"),
            ("电话号码：87654321", "电话号码：******21"),
            ("座机号码 8765 4321", "座机号码 ******21"),
            ("电话是87654321", "电话是******21"),
            ("老身份证330102800101123", "老身份证3*************3"),
            ("身份证 110105 19491231 002X", "身份证 1****************X"),
            (
                "邮箱ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                "邮箱z***@example.com",
            ),
            ("车牌浙a 12345", "车牌浙A****5"),
        ];
        for (input, want) in cases {
            assert_eq!(mask(input), want, "{input}");
        }
    }

    #[test]
    fn leaves_lookalikes_alone() {
        for s in [
            "3号楼12层",
            "2024年10月1日",
            "订单号 123456789012",
            "身份证11010519491231002Y", // bad checksum
            "6222021234567890129",      // fails Luhn
            "12812345678",              // not a mobile prefix
            "138123456789",             // 12 digits
            "加装电梯需要3000000元",
        ] {
            assert_eq!(mask(s), s, "{s}");
        }
    }

    #[test]
    fn checksums() {
        assert!(id_checksum_ok("11010519491231002X"));
        assert!(!id_checksum_ok("110105194912310021"));
        assert!(luhn_ok("4111111111111111"));
        assert!(!luhn_ok("4111111111111112"));
    }

    /// The digits of `s`, full-width ones folded, nothing else.
    fn digits_of(s: &str) -> String {
        fold(s).0.chars().filter(char::is_ascii_digit).collect()
    }

    /// Writes `digits` the way a resident might: split into groups by a
    /// separator, each character half- or full-width.
    fn written(digits: &str, groups: &[usize], sep: &str, wide: &[bool]) -> String {
        let mut out = String::new();
        let mut i = 0;
        for (n, g) in groups.iter().enumerate() {
            if n > 0 {
                out.push_str(sep);
            }
            for c in digits[i..i + g].chars() {
                let w = wide[(i) % wide.len()];
                out.push(if w {
                    char::from_u32(c as u32 + 0xFEE0).unwrap()
                } else {
                    c
                });
                i += 1;
            }
        }
        out.push_str(&digits[i..]);
        out
    }

    fn id_check_char(first17: &str) -> char {
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const C: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
        let sum: u32 = first17
            .chars()
            .zip(W)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        C[(sum % 11) as usize]
    }

    fn luhn_complete(partial: &str) -> String {
        (0..10)
            .map(|d| format!("{partial}{d}"))
            .find(|n| luhn_ok(n))
            .unwrap()
    }

    fn sep() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", " ", "-", "　", "－"])
    }

    fn text() -> impl Strategy<Value = String> {
        "[\\p{Han}，。：]{0,8}"
    }

    proptest! {
        #[test]
        fn mobiles_in_every_written_form_are_masked(
            before in text(), after in text(),
            second in 3u8..=9, rest in "[0-9]{9}",
            prefix in prop::sample::select(vec!["", "+86", "+86 ", "0086", "86-", "(+86)", "＋８６", "（+86）"]),
            s in sep(), dots in any::<bool>(), wide in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let phone = format!("1{second}{rest}");
            let sep = if dots { "." } else { s };
            let w = written(&phone, &[3, 4, 4], sep, &wide);
            let out = mask(&format!("{before}{prefix}{w}{after}"));
            prop_assert!(!digits_of(&out).contains(&phone), "{} -> {}", w, out);
            prop_assert!(out.contains(&format!("{}****{}", &phone[..3], &phone[7..])), "{} -> {}", w, out);
        }

        #[test]
        fn landlines_in_every_written_form_are_masked(
            before in text(), after in text(),
            area in prop::sample::select(vec!["010", "021", "0571", "0755", "0898"]),
            first in 2u8..=9, rest in "[0-9]{7}",
            form in 0usize..5, s in sep(), wide in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let number = format!("{first}{rest}");
            let local = written(&number, &[4, 4], s, &wide);
            let written_area = match form {
                0 => format!("{area}-"),
                1 => format!("({area})"),
                2 => format!("（{area}）"),
                3 => format!("+86 {} ", &area[1..]),
                _ => format!("{area} "),
            };
            let out = mask(&format!("{before}{written_area}{local}{after}"));
            prop_assert!(!digits_of(&out).contains(&number[..6]), "{} -> {}", local, out);
            prop_assert!(out.contains(&format!("{area}-******{}", &number[6..])), "{} -> {}", local, out);
        }

        #[test]
        fn id_numbers_old_and_new_are_masked(
            before in text(), after in text(),
            region in 110000u32..659999, year in 1930u32..2020, month in 1u32..=12, day in 1u32..=28,
            seq in 0u32..1000, old in any::<bool>(), spaced in any::<bool>(),
            wide in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let id = if old {
                format!("{region}{:02}{month:02}{day:02}{seq:03}", year % 100)
            } else {
                let first = format!("{region}{year}{month:02}{day:02}{seq:03}");
                format!("{first}{}", id_check_char(&first))
            };
            let w = if spaced && !old { written(&id, &[6, 8], " ", &wide) } else { written(&id, &[], "", &wide) };
            let out = mask(&format!("{before}{w}{after}"));
            prop_assert!(!digits_of(&out).contains(&id[1..id.len() - 1]), "{} -> {}", w, out);
            prop_assert!(out.contains(&format!("{}{}", &id[..1], "*".repeat(id.len() - 2))), "{} -> {}", w, out);
        }

        #[test]
        fn bank_cards_are_masked(
            before in text(), after in text(),
            body in "62[0-9]{14}", s in sep(), wide in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let card = luhn_complete(&body);
            let w = written(&card, &[4, 4, 4, 4], s, &wide);
            let out = mask(&format!("{before}{w}{after}"));
            prop_assert!(!digits_of(&out).contains(&card[4..13]), "{} -> {}", w, out);
        }

        #[test]
        fn e_mails_and_plates_are_masked(
            user in "[a-z][a-z0-9._]{2,10}", host in "[a-z]{2,8}", wide in any::<bool>(),
            province in prop::sample::select(vec!["浙", "京", "沪", "粤", "川"]),
            letter in "[A-Z]", plate in "[A-HJ-NP-Z0-9]{5}", spaced in any::<bool>(),
        ) {
            let email = format!("{user}@{host}.com");
            let w: String = if wide { email.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect() } else { email.clone() };
            let out = mask(&format!("请联系{w}谢谢"));
            prop_assert!(!fold(&out).0.contains(&email), "{} -> {}", w, out);
            prop_assert!(out.contains(&format!("{}***@", &user[..1])), "{} -> {}", w, out);
            let p = format!("{province}{letter}{}{plate}", if spaced { " " } else { "" });
            let out = mask(&format!("车牌{p}占了车位"));
            prop_assert!(!out.contains(&plate[..4]), "{} -> {}", p, out);
        }

        #[test]
        fn masking_is_idempotent(s in "[0-9a-zA-Z@._ \\-+浙京A-Z电话号码，。]{0,80}") {
            let once = mask(&s);
            prop_assert_eq!(mask(&once), once);
        }

        #[test]
        fn text_without_personal_data_is_unchanged(s in "[\\p{Han}a-zA-Z，。！？ ]{0,120}") {
            prop_assert_eq!(mask(&s), s);
        }

        #[test]
        fn any_mobile_is_masked(prefix in "[\\p{Han}]{0,10}", n in 3u8..=9, rest in "[0-9]{9}", suffix in "[\\p{Han}]{0,10}") {
            let phone = format!("1{n}{rest}");
            let out = mask(&format!("{prefix}{phone}{suffix}"));
            prop_assert!(!out.contains(&phone));
            let expected = format!("{}****{}", &phone[..3], &phone[7..]);
            prop_assert!(out.contains(&expected));
        }
    }
}
