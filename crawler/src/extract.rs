//! Decoding and extraction. scraper's `Html` is not `Send`, so every parse
//! happens inside a plain function that returns owned data.
use encoding_rs::Encoding;
use scraper::{Html, Selector};
use url::Url;

use crate::{CrawlError, Source};

/// Decodes a page: the source's forced encoding, else the Content-Type
/// charset, else a `<meta charset>` in the first 2 KB, else UTF-8. GBK is
/// read as GB18030 (its superset).
pub fn decode(bytes: &[u8], content_type: Option<&str>, forced: Option<&str>) -> String {
    let label = forced
        .map(str::to_owned)
        .or_else(|| charset_param(content_type?))
        .or_else(|| meta_charset(bytes));
    let enc = label
        .as_deref()
        .map(|l| {
            if l.eq_ignore_ascii_case("gbk") || l.eq_ignore_ascii_case("gb2312") {
                "gb18030"
            } else {
                l
            }
        })
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .map(|c| c.trim_matches('"').to_owned())
        .next()
}

fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let rest = head[at..].trim_start_matches(['"', '\'']);
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
    Some(rest[..end].to_owned()).filter(|s| !s.is_empty())
}

fn selector(s: &str) -> Result<Selector, CrawlError> {
    Selector::parse(s).map_err(|_| CrawlError::BadSelector(s.to_owned()))
}

/// Checks every selector of a source once, before a run.
pub fn validate(source: &Source) -> Result<(), CrawlError> {
    for s in [
        Some(&source.list_item),
        Some(&source.link),
        source.next_page.as_ref(),
        Some(&source.title),
        Some(&source.body),
        source.date.as_ref(),
        source.author.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        selector(s)?;
    }
    Ok(())
}

fn text_of(el: scraper::ElementRef<'_>) -> String {
    let joined: Vec<&str> = el.text().map(str::trim).filter(|t| !t.is_empty()).collect();
    joined.join(" ")
}

/// A list page: detail links and the next page, resolved against `base`.
pub fn list_page(
    html: &str,
    base: &Url,
    source: &Source,
) -> Result<(Vec<Url>, Option<Url>), CrawlError> {
    let doc = Html::parse_document(html);
    let item = selector(&source.list_item)?;
    let link = selector(&source.link)?;
    let mut links = Vec::new();
    for el in doc.select(&item) {
        let href = if el.value().name() == "a" {
            el.value().attr("href")
        } else {
            el.select(&link).next().and_then(|a| a.value().attr("href"))
        };
        if let Some(u) = href.and_then(|h| base.join(h).ok())
            && !links.contains(&u)
        {
            links.push(u);
        }
    }
    let next = match &source.next_page {
        Some(s) => doc
            .select(&selector(s)?)
            .next()
            .and_then(|a| a.value().attr("href"))
            .and_then(|h| base.join(h).ok()),
        None => None,
    };
    Ok((links, next))
}

/// The fields of a detail page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub title: String,
    pub body: String,
    pub date: Option<String>,
    pub author: Option<String>,
}

/// A detail page's fields; `None` when it has no title or body.
pub fn detail_page(html: &str, source: &Source) -> Result<Option<Detail>, CrawlError> {
    let doc = Html::parse_document(html);
    let first = |s: &str| -> Result<Option<String>, CrawlError> {
        Ok(doc
            .select(&selector(s)?)
            .next()
            .map(text_of)
            .filter(|t| !t.is_empty()))
    };
    let title = first(&source.title)?;
    let body = first(&source.body)?;
    let date = match &source.date {
        Some(s) => first(s)?,
        None => None,
    };
    let author = match &source.author {
        Some(s) => first(s)?,
        None => None,
    };
    Ok(match (title, body) {
        (Some(title), Some(body)) => Some(Detail {
            title,
            body,
            date,
            author,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gbk_by_header_meta_or_force() {
        let (bytes, _, _) = encoding_rs::GBK.encode("小区路灯坏了");
        assert_eq!(
            decode(&bytes, Some("text/html; charset=GBK"), None),
            "小区路灯坏了"
        );
        let mut page = b"<meta charset=\"gb2312\">".to_vec();
        page.extend_from_slice(&bytes);
        assert!(decode(&page, Some("text/html"), None).ends_with("小区路灯坏了"));
        assert_eq!(decode(&bytes, None, Some("gbk")), "小区路灯坏了");
        assert_eq!(decode("普通".as_bytes(), None, None), "普通");
    }
}
