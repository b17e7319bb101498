//! 短信网关 SMS through an HTTP gateway. Each SMS in the outbox is POSTed
//! as JSON made from the configured template (by default
//! [`DEFAULT_TEMPLATE`]: `{"id": outbox id, "to": phone, "text": body}`),
//! with the configured bearer token; any 2xx answer means sent, anything
//! else (or no answer within 10 s) is a failure the outbox tries again after
//! its backoff. The outbox id lets a gateway drop a repeat (a retry after a
//! lost answer). Other channels (in-app notices, and SMS when no gateway is
//! configured) go to the development log as before.
use std::time::Duration;

use domain::outbox::{Deliver, Delivery, LogFileChannel, Message};

/// Where the outbox sends: SMS to the gateway and e-mail to the SMTP
/// server when they are configured, everything else (in-app notices, and in
/// development SMS and e-mail) to the readable log.
pub struct Outbound {
    pub log: LogFileChannel,
    pub sms: Option<HttpGateway>,
    /// Risk warnings' voice calls (`channel = voice`).
    pub voice: Option<HttpGateway>,
    pub mail: Option<crate::mail::SmtpMail>,
}

impl Deliver for Outbound {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a> {
        match (msg.channel.as_str(), &self.sms, &self.mail, &self.voice) {
            ("sms", Some(gateway), _, _) => gateway.deliver(msg),
            ("email", _, Some(mail), _) => mail.deliver(msg),
            ("voice", _, _, Some(gateway)) => gateway.deliver(msg),
            _ => self.log.deliver(msg),
        }
    }
}

pub struct HttpGateway {
    client: reqwest::Client,
    url: url::Url,
    token: Option<String>,
    template: Template,
}

/// The request body when none is configured.
pub const DEFAULT_TEMPLATE: &str = r#"{"id": "{{id}}", "to": "{{to}}", "text": "{{text}}"}"#;

/// A JSON request body with placeholders — `"{{id}}"`, `"{{to}}"`,
/// `"{{text}}"` — each standing as a whole JSON string value, so a vendor's
/// own field names and fixed fields (a signature, a template code) can be
/// configured without code. Values are put in as JSON (the id a number).
#[derive(Clone, Debug)]
pub struct Template(serde_json::Value);

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("the template is not JSON: {e}"))?;
        if !v.is_object() {
            return Err("the template must be a JSON object".into());
        }
        let mut seen = Vec::new();
        fn walk(v: &serde_json::Value, seen: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) => seen.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, seen)),
                serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, seen)),
                _ => {}
            }
        }
        walk(&v, &mut seen);
        for needed in ["{{to}}", "{{text}}"] {
            if !seen.iter().any(|s| s == needed) {
                return Err(format!("the template must carry \"{needed}\" as a value"));
            }
        }
        Ok(Template(v))
    }

    /// The body for one message.
    pub fn render(&self, msg: &Message) -> serde_json::Value {
        fn fill(v: &serde_json::Value, msg: &Message) -> serde_json::Value {
            match v {
                serde_json::Value::String(s) => match s.as_str() {
                    "{{id}}" => serde_json::json!(msg.id),
                    "{{to}}" => serde_json::json!(msg.recipient),
                    "{{text}}" => serde_json::json!(msg.body),
                    "{{subject}}" => serde_json::json!(msg.subject),
                    _ => v.clone(),
                },
                serde_json::Value::Array(a) => a.iter().map(|x| fill(x, msg)).collect(),
                serde_json::Value::Object(o) => o
                    .iter()
                    .map(|(k, x)| (k.clone(), fill(x, msg)))
                    .collect::<serde_json::Map<_, _>>()
                    .into(),
                other => other.clone(),
            }
        }
        fill(&self.0, msg)
    }
}

/// Longest wait for the gateway's answer.
const TIMEOUT: Duration = Duration::from_secs(10);

impl HttpGateway {
    /// A gateway at `url`: HTTPS, or plain HTTP to this machine only (a
    /// local relay). Redirects are not followed, and no proxy is used.
    pub fn new(
        url: &str,
        token: Option<String>,
        template: Option<&str>,
    ) -> Result<HttpGateway, String> {
        let template = Template::parse(template.unwrap_or(DEFAULT_TEMPLATE))?;
        let url = check_url(url)?;
        let token = token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if let Some(t) = &token
            && reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")).is_err()
        {
            return Err("the gateway token has characters a header cannot carry".into());
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpGateway {
            client,
            url,
            token,
            template,
        })
    }
}

/// Whether a URL's host is this machine (`localhost` or a loopback
/// address, also where the parser leaves an address as a name, as it does
/// for schemes it does not know such as `smtp:`); an error if it names none.
pub(crate) fn is_loopback(url: &url::Url) -> Result<bool, String> {
    let loopback = |ip: std::net::IpAddr| ip.is_loopback();
    match url.host() {
        Some(url::Host::Domain(d)) => Ok(d.eq_ignore_ascii_case("localhost")
            || d.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(loopback)),
        Some(url::Host::Ipv4(ip)) => Ok(ip.is_loopback()),
        Some(url::Host::Ipv6(ip)) => Ok(ip.is_loopback()),
        None => Err("the URL names no host".into()),
    }
}

/// The gateway's address: `https://…`, or `http://` to a loopback address.
pub fn check_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("put the gateway's credentials in its token, not in the URL".into());
    }
    let loopback = is_loopback(&url)?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err("plain HTTP only to this machine (127.0.0.1); use https".into()),
        other => Err(format!("{other}: use https")),
    }
}

impl Deliver for HttpGateway {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(self.url.clone())
                .json(&self.template.render(msg));
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            // The error names the gateway's status or the transport failure,
            // never the message (it may hold a code).
            let res = req.send().await.map_err(|e| {
                if e.is_timeout() {
                    return "gateway timed out".to_owned();
                }
                // The whole chain (DNS, TLS, refused …), without the URL.
                let e = e.without_url();
                let mut text = format!("gateway unreachable: {e}");
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    text.push_str(": ");
                    text.push_str(&s.to_string());
                    source = s.source();
                }
                text
            })?;
            let status = res.status();
            if status.is_success() {
                Ok(())
            } else {
                Err(format!("gateway answered HTTP {}", status.as_u16()))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_names_the_vendors_fields_and_fills_in_json() {
        let t = Template::parse(
            r#"{"PhoneNumbers": "{{to}}", "SignName": "小河街道", "Param": {"content": "{{text}}", "ref": "{{id}}"}}"#,
        )
        .unwrap();
        let msg = Message {
            id: 42,
            channel: "sms".into(),
            recipient: "13800000001".into(),
            subject: "s".into(),
            body: "他说：\"明天\"见\n{{to}}".into(),
            sensitive: false,
        };
        let v = t.render(&msg);
        assert_eq!(v["PhoneNumbers"], "13800000001");
        assert_eq!(v["SignName"], "小河街道");
        // The text goes in as it is: quotes and braces stay data.
        assert_eq!(v["Param"]["content"], "他说：\"明天\"见\n{{to}}");
        assert_eq!(v["Param"]["ref"], 42);
        let d = Template::parse(DEFAULT_TEMPLATE).unwrap().render(&msg);
        assert_eq!(
            (d["id"].as_i64(), d["to"].as_str()),
            (Some(42), Some("13800000001"))
        );
        for bad in [
            "",
            "[]",
            r#"{"to": "{{to}}"}"#,
            r#"{"x": "{{text}} {{to}}"}"#,
            "{not json",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_https_or_a_local_relay_is_a_gateway() {
        for ok in [
            "https://sms.example.com/send",
            "http://127.0.0.1:9000/sms",
            "http://localhost/sms",
            "http://[::1]:8080/",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://sms.example.com/send",
            "http://10.0.0.5/send",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "https://user:secret@sms.example.com/",
            "not a url",
            "",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
