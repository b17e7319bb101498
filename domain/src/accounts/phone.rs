use crate::error::{DomainError, DomainResult};

/// A mainland China mobile number, normalised to 11 digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts spaces, dashes and a `+86`/`86` prefix; rejects anything that
    /// is not `1[3-9]` followed by nine digits.
    ///
    /// ```
    /// use domain::accounts::PhoneNumber;
    /// assert_eq!(PhoneNumber::parse("+86 138-1234-5678").unwrap().as_str(), "13812345678");
    /// assert!(PhoneNumber::parse("12345").is_err());
    /// ```
    pub fn parse(raw: &str) -> DomainResult<Self> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
            .collect();
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let digits = if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else {
            digits
        };
        let b = digits.as_bytes();
        let ok = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Self(digits.to_owned()))
        } else {
            Err(DomainError::validation("phone", "invalid"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }
}

/// Masks the middle four digits of an 11-digit number; anything else is
/// masked entirely but for its last two characters.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() == 11 {
        format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[7..].iter().collect::<String>()
        )
    } else {
        let keep = chars.len().saturating_sub(2);
        chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < keep { '*' } else { *c })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for raw in [
            "13812345678",
            "138 1234 5678",
            "+8613812345678",
            "86-138-1234-5678",
        ] {
            assert_eq!(
                PhoneNumber::parse(raw).unwrap().as_str(),
                "13812345678",
                "{raw}"
            );
        }
    }

    #[test]
    fn rejects_non_mobile() {
        for raw in [
            "",
            "1381234567",
            "12812345678",
            "23812345678",
            "1381234567x",
            "138123456789",
        ] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn masks_middle_digits() {
        assert_eq!(
            PhoneNumber::parse("13812345678").unwrap().masked(),
            "138****5678"
        );
        assert_eq!(mask_phone("12345"), "***45");
    }
}
