//! 统一社会信用代码 (GB 32100-2015): eighteen characters from a 31-letter
//! alphabet (digits and capitals without I, O, Z, S, V); the last is a
//! check character over the first seventeen, weighted by 3^i mod 31. A code
//! that fails is *flagged* for review with what is wrong — never dropped,
//! never "corrected" (a typo in one character is the resident's to fix,
//! not ours to guess).
use serde::Serialize;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// What a code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Check {
    Valid,
    /// Not eighteen characters (after trimming and upper-casing).
    WrongLength {
        len: usize,
    },
    /// A character outside the alphabet, at this place (from 1).
    BadCharacter {
        at: usize,
    },
    /// The check character is not the one the first seventeen give.
    WrongCheck {
        expected: char,
    },
}

impl Check {
    pub fn is_valid(self) -> bool {
        self == Check::Valid
    }

    /// The problem's name for the register (`code_problem`).
    pub fn problem(self) -> Option<&'static str> {
        match self {
            Check::Valid => None,
            Check::WrongLength { .. } => Some("length"),
            Check::BadCharacter { .. } => Some("character"),
            Check::WrongCheck { .. } => Some("check"),
        }
    }
}

/// The code as the register keeps it: trimmed, capitals, full-width
/// letters and digits folded (files typed on a Chinese keyboard).
pub fn normalise(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character the first seventeen characters give.
pub fn check_character(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (i, &c) in b.iter().enumerate() {
        sum += value(c)? * WEIGHTS[i];
    }
    let r = (31 - sum % 31) % 31;
    Some(ALPHABET[r as usize] as char)
}

/// Checks a code (normalise it first).
pub fn check(code: &str) -> Check {
    let len = code.chars().count();
    if len != 18 {
        return Check::WrongLength { len };
    }
    if let Some(at) = code.bytes().position(|c| value(c).is_none()) {
        return Check::BadCharacter { at: at + 1 };
    }
    let expected = check_character(&code[..17]).unwrap_or('?');
    if code.as_bytes()[17] as char == expected {
        Check::Valid
    } else {
        Check::WrongCheck { expected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_by_their_check_character() {
        let table: &[(&str, Check)] = &[
            // Published codes.
            ("91350100M000100Y43", Check::Valid),
            ("91330106MA27XW5T0K", Check::Valid),
            ("91110000600037341L", Check::Valid),
            // One character changed: the check no longer holds.
            ("91350100M000100Y44", Check::WrongCheck { expected: '3' }),
            ("91330106MA27XW5T0J", Check::WrongCheck { expected: 'K' }),
            ("91110000600037342L", Check::WrongCheck { expected: 'P' }),
            // Letters outside the alphabet (I, O, Z, S, V) and others.
            ("91350100M000100I43", Check::BadCharacter { at: 16 }),
            ("9135010OM000100Y43", Check::BadCharacter { at: 8 }),
            ("91350100M00010-Y43", Check::BadCharacter { at: 15 }),
            ("91350100M000100Y4Z", Check::BadCharacter { at: 18 }),
            (
                "统一社会信用代码一二三四五六七八九十",
                Check::BadCharacter { at: 1 },
            ),
            // Wrong lengths.
            ("", Check::WrongLength { len: 0 }),
            ("91350100M000100Y4", Check::WrongLength { len: 17 }),
            ("91350100M000100Y433", Check::WrongLength { len: 19 }),
            ("350100M00010", Check::WrongLength { len: 12 }),
        ];
        for (code, want) in table {
            assert_eq!(check(code), *want, "{code}");
        }
        // Every code the check character makes is valid.
        for first in [
            "91330106MA27XW5T0",
            "12330000470000000",
            "52330100MJ8800000",
        ] {
            let c = check_character(first).unwrap();
            assert_eq!(check(&format!("{first}{c}")), Check::Valid);
        }
    }

    #[test]
    fn codes_typed_loosely_are_normalised_not_corrected() {
        assert_eq!(normalise(" 91350100m000100y43 "), "91350100M000100Y43");
        assert_eq!(
            normalise("９１３５０１００Ｍ０００１００Ｙ４３"),
            "91350100M000100Y43"
        );
        assert_eq!(normalise("9135 0100 M000 100Y 43"), "91350100M000100Y43");
        // A wrong character stays wrong.
        assert_eq!(
            check(&normalise("91350100M000100Y44")),
            Check::WrongCheck { expected: '3' }
        );
    }
}
