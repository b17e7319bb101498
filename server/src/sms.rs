//! 短信网关 SMS through an HTTP gateway. Each SMS in the outbox is POSTed
//! as JSON — `{"id": outbox id, "to": phone, "text": body}` — with the
//! configured bearer token; any 2xx answer means sent, anything else (or no
//! answer within 10 s) is a failure the outbox tries again after its
//! backoff. The outbox id lets a gateway drop a repeat (a retry after a
//! lost answer). Other channels (in-app notices, and SMS when no gateway is
//! configured) go to the development log as before.
use std::time::Duration;

use domain::outbox::{Deliver, Delivery, LogFileChannel, Message};

/// Where the outbox sends: SMS to the gateway when one is configured,
/// everything else to the log.
pub struct Outbound {
    pub log: LogFileChannel,
    pub sms: Option<HttpGateway>,
}

impl Deliver for Outbound {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a> {
        match (&self.sms, msg.channel.as_str()) {
            (Some(gateway), "sms") => gateway.deliver(msg),
            _ => self.log.deliver(msg),
        }
    }
}

pub struct HttpGateway {
    client: reqwest::Client,
    url: url::Url,
    token: Option<String>,
}

/// Longest wait for the gateway's answer.
const TIMEOUT: Duration = Duration::from_secs(10);

impl HttpGateway {
    /// A gateway at `url`: HTTPS, or plain HTTP to this machine only (a
    /// local relay). Redirects are not followed, and no proxy is used.
    pub fn new(url: &str, token: Option<String>) -> Result<HttpGateway, String> {
        let url = check_url(url)?;
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpGateway { client, url, token })
    }
}

/// The gateway's address: `https://…`, or `http://` to a loopback address.
pub fn check_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("put the gateway's credentials in its token, not in the URL".into());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("the URL names no host".into()),
    };
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
            let mut req = self.client.post(self.url.clone()).json(&serde_json::json!({
                "id": msg.id,
                "to": msg.recipient,
                "text": msg.body,
            }));
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            // The error names the gateway's status or the transport failure,
            // never the message (it may hold a code).
            let res = req.send().await.map_err(|e| {
                if e.is_timeout() {
                    "gateway timed out".to_owned()
                } else {
                    format!("gateway unreachable: {}", e.without_url())
                }
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
