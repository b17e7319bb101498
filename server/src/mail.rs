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
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

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

    /// An SMTP server on this machine that speaks just enough of the
    /// protocol, and hands back each mail's envelope and data.
    async fn fake_server(
        reject: bool,
    ) -> (u16, tokio::sync::mpsc::Receiver<(Vec<String>, String)>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let (r, mut w) = stream.into_split();
                    let mut lines = BufReader::new(r).lines();
                    w.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                    let mut envelope = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let cmd = line.to_ascii_uppercase();
                        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                            w.write_all(b"250-fake\r\n250 8BITMIME\r\n").await.unwrap();
                        } else if cmd.starts_with("MAIL FROM") || cmd.starts_with("RCPT TO") {
                            envelope.push(line.clone());
                            let answer: &[u8] = if reject && cmd.starts_with("RCPT") {
                                b"550 no such mailbox\r\n"
                            } else {
                                b"250 ok\r\n"
                            };
                            w.write_all(answer).await.unwrap();
                        } else if cmd == "DATA" {
                            w.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            w.write_all(b"250 queued\r\n").await.unwrap();
                            let _ = tx.send((std::mem::take(&mut envelope), data)).await;
                        } else if cmd == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            w.write_all(b"250 ok\r\n").await.unwrap();
                        }
                    }
                });
            }
        });
        (port, rx)
    }

    fn message(to: &str) -> Message {
        Message {
            id: 7,
            channel: "email".into(),
            recipient: to.into(),
            subject: "议事会安排有变".into(),
            body: "议事会「南门路灯」改在长乐社区文化家园。".into(),
            sensitive: false,
        }
    }

    #[tokio::test]
    async fn a_mail_goes_over_smtp_in_utf8_and_a_refusal_is_a_failure() {
        let (port, mut rx) = fake_server(false).await;
        let mail = SmtpMail::new(
            &format!("smtp://127.0.0.1:{port}"),
            "红茶议事会 <noreply@hongcha.example>",
        )
        .unwrap();
        mail.deliver(&message("wang@example.com")).await.unwrap();
        let (envelope, data) = rx.recv().await.unwrap();
        assert!(
            envelope[0].contains("<noreply@hongcha.example>"),
            "{envelope:?}"
        );
        assert!(envelope[1].contains("<wang@example.com>"), "{envelope:?}");
        assert!(
            data.contains("Content-Type: text/plain; charset=utf-8"),
            "{data}"
        );
        assert!(data.contains("Content-Transfer-Encoding: base64"), "{data}");
        // The subject is encoded for the wire (RFC 2047), the body in base64;
        // both read back as written.
        assert!(data.contains("Subject: =?utf-8?"), "{data}");
        let (_, body) = data.split_once("\n\n").expect("headers, then the body");
        let body: String = body.lines().collect();
        let text = String::from_utf8(
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body.trim())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(text, "议事会「南门路灯」改在长乐社区文化家园。");
        assert!(mail.deliver(&message("not an address")).await.is_err());

        let (port, _rx) = fake_server(true).await;
        let refused = SmtpMail::new(
            &format!("smtp://127.0.0.1:{port}"),
            "noreply@hongcha.example",
        )
        .unwrap();
        let err = refused
            .deliver(&message("wang@example.com"))
            .await
            .unwrap_err();
        assert!(
            err.starts_with("smtp:") && !err.contains("文化家园"),
            "{err}"
        );
    }
}
