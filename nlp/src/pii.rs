//! 个人信息脱敏 personal-data masking: mainland mobile numbers, 18-digit ID
//! numbers (checksum verified), bank card numbers (Luhn verified), e-mail
//! addresses and vehicle plates.
//!
//! ```
//! assert_eq!(nlp::mask("电话13812345678，找王师傅"), "电话138****5678，找王师傅");
//! ```
use std::sync::OnceLock;

use regex::Regex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiiKind {
    Email,
    IdNumber,
    BankCard,
    Mobile,
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
    id: Regex,
    card: Regex,
    mobile: Regex,
    plate: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        email: Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
            .expect("email pattern"),
        id: Regex::new(r"[1-9][0-9]{16}[0-9Xx]").expect("id pattern"),
        card: Regex::new(r"[0-9]{4}(?:[ \-]?[0-9]{4}){2,3}(?:[ \-]?[0-9]{1,3})?").expect("card pattern"),
        mobile: Regex::new(r"(?:\+?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}").expect("mobile pattern"),
        plate: Regex::new(
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·•]?[A-HJ-NP-Z0-9]{5,6}",
        )
        .expect("plate pattern"),
    })
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
    let chars: Vec<char> = id.chars().collect();
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

/// Finds personal data, earlier kinds first where matches overlap.
pub fn find(text: &str) -> Vec<Found> {
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
    for m in p.id.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) && id_checksum_ok(m.as_str()) {
            push(PiiKind::IdNumber, m.start(), m.end());
        }
    }
    for m in p.card.find_iter(text) {
        let n = digits(m.as_str()).len();
        if (13..=19).contains(&n) && bounded(text, m.start(), m.end(), false) && luhn_ok(m.as_str())
        {
            push(PiiKind::BankCard, m.start(), m.end());
        }
    }
    for m in p.mobile.find_iter(text) {
        if bounded(text, m.start(), m.end(), false) {
            push(PiiKind::Mobile, m.start(), m.end());
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
            .filter(|c| !matches!(c, ' ' | '-' | '·' | '•'))
            .collect();
        let n = chars.len();
        let head = head.min(n);
        let tail = tail.min(n - head);
        let mut out: String = chars[..head].iter().collect();
        out.extend(std::iter::repeat_n('*', n - head - tail));
        out.extend(&chars[n - tail..]);
        out
    };
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
            let d: String = digits(s)
                .iter()
                .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
                .collect();
            let local = &d[d.len() - 11..];
            format!("{}****{}", &local[..3], &local[7..])
        }
        PiiKind::Plate => keep(s, 2, 1),
    }
}

/// The text with every piece of personal data masked. Idempotent; text
/// without personal data comes back unchanged.
pub fn mask(text: &str) -> String {
    let found = find(text);
    if found.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.start]);
        out.push_str(&mask_one(f.kind, &text[f.start..f.end]));
        at = f.end;
    }
    out.push_str(&text[at..]);
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

    proptest! {
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
