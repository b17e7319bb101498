//! 邮件 e-mail over SMTP. Each message in the outbox's `email` channel is
//! sent as a plain UTF-8 text mail from the configured sender; the SMTP
//! server's answer decides: accepted is sent, anything else (or no answer
//! within 15 s) is a failure the outbox tries again after its backoff.
//! The connection is a URL: `smtps://user:pass@host:465` (TLS from the
//! start), `smtp://user:pass@host:587?tls=required` (STARTTLS, refused if
//! the server does not offer it), or plain `smtp://127.0.0.1:25` to a relay
//! on this machine only.
use std::time::Duration;

use domain::outbox::{Deliver, Delivery, Message};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

pub struct SmtpMail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Longest wait for the SMTP server.
const TIMEOUT: Duration = Duration::from_secs(15);

/// The SMTP connection URL, checked: TLS (implicit or required STARTTLS),
/// or plain SMTP to a loopback address.
pub fn check_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    let loopback = crate::sms::is_loopback(&url)?;
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => Ok(url),
        ("smtp", Some("required")) => Ok(url),
        ("smtp", _) if loopback => Ok(url),
        ("smtp", _) => {
            Err("plain SMTP only to this machine; use smtps:// or smtp://…?tls=required".into())
        }
        (other, _) => Err(format!("{other}: use smtps:// or smtp://")),
    }
}

impl SmtpMail {
    pub fn new(url: &str, from: &str) -> Result<SmtpMail, String> {
        let url = check_url(url)?;
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| format!("smtp_from is not an address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(SmtpMail { transport, from })
    }
}

impl Deliver for SmtpMail {
    fn deliver<'a>(&'a self, msg: &'a Message) -> Delivery<'a> {
        Box::pin(async move {
            let to: Mailbox = msg
                .recipient
                .parse()
                .map_err(|_| "the recipient is not an e-mail address".to_owned())?;
            // Base64: seven-bit safe through any relay, whatever the text.
            let body = Body::new_with_encoding(msg.body.clone(), ContentTransferEncoding::Base64)
                .map_err(|_| "encoding the mail".to_owned())?;
            let mail = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(msg.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(body)
                .map_err(|e| format!("building the mail: {e}"))?;
            // The error names what failed, never the message (it may hold
            // a code) nor the credentials.
            self.transport
                .send(mail)
                .await
                .map(|_| ())
                .map_err(|e| format!("smtp: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_or_a_local_relay_is_a_mail_server() {
        for ok in [
            "smtps://user:pass@smtp.example.com:465",
            "smtp://user:pass@smtp.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "smtp://smtp.example.com:25",
            "smtp://127.0.0.1.example.com:25",
            "smtp://10.0.0.5:25",
            "smtp://smtp.example.com:587?tls=opportunistic",
            "http://127.0.0.1/",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(SmtpMail::new("smtp://127.0.0.1:25", "not an address").is_err());
    }
}
