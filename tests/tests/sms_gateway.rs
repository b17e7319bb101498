//! SMS through an HTTP gateway, over real HTTP both ways: a gateway stand-in
//! on this machine records what Hongcha's outbox POSTs to it. A delivered
//! code is sent once, with the token, and its text is dropped from the
//! outbox; a gateway that fails leaves the message waiting with the reason
//! (and no code in it); a gateway address that is not HTTPS (nor local) stops
//! the server from starting.
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use blackbox::{Backend, Options, spawn_app_with};
use sea_orm::ConnectionTrait;

/// What the gateway was sent: the Authorization header and the JSON body.
type Received = (Option<String>, serde_json::Value);

#[derive(Clone, Default)]
struct Gateway {
    received: Arc<Mutex<Vec<Received>>>,
}

/// Answers 500 for one number (a gateway having trouble), 200 otherwise.
async fn send(
    State(g): State<Gateway>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let failing = body["to"] == "13800000002";
    g.received.lock().unwrap().push((auth, body));
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

async fn outbox_row(app: &blackbox::TestApp, to: &str) -> Option<(String, String, Option<String>)> {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.backend {
                Backend::Postgres => {
                    "SELECT status, body, last_error FROM outbox WHERE channel = 'sms' AND recipient = $1 ORDER BY id DESC LIMIT 1"
                }
                Backend::Sqlite => {
                    "SELECT status, body, last_error FROM outbox WHERE channel = 'sms' AND recipient = ? ORDER BY id DESC LIMIT 1"
                }
            },
            [to.into()],
        ))
        .await
        .unwrap()?;
    Some((
        row.try_get("", "status").unwrap(),
        row.try_get("", "body").unwrap(),
        row.try_get("", "last_error").unwrap(),
    ))
}

#[tokio::test]
async fn sms_go_to_the_gateway_once_with_its_token_and_failures_wait_with_the_reason() {
    for backend in blackbox::backends() {
        let gateway = Gateway::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/sms/send", listener.local_addr().unwrap());
        let router = axum::Router::new()
            .route("/sms/send", axum::routing::post(send))
            .with_state(gateway.clone());
        let stand_in = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let app = spawn_app_with(
            backend,
            Options {
                sms_gateway: Some((url, Some("gateway-token-123".into()))),
                ..Options::default()
            },
        )
        .await;
        app.seed_demo().await;
        let c = app.client();
        for phone in ["13800000001", "13800000002"] {
            let res = app.call(&c, "request_code", &[("phone", phone)]).await;
            assert!(res.status().is_success(), "{backend:?}: {}", res.status());
        }
        // The outbox job runs every half second.
        for _ in 0..100 {
            if gateway.received.lock().unwrap().len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let received = gateway.received.lock().unwrap().clone();
        assert_eq!(received.len(), 2, "{backend:?}: {received:?}");
        for (auth, body) in &received {
            assert_eq!(auth.as_deref(), Some("Bearer gateway-token-123"));
            assert!(body["id"].as_i64().is_some_and(|id| id > 0), "{body}");
            let text = body["text"].as_str().unwrap();
            assert!(
                text.chars().filter(char::is_ascii_digit).count() >= 6,
                "the code is in the SMS: {text}"
            );
        }
        // The gateway has answered; wait for the outbox to record it.
        for to in ["13800000001", "13800000002"] {
            for _ in 0..100 {
                if outbox_row(&app, to)
                    .await
                    .is_some_and(|(st, _, _)| st != "sending")
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        // Delivered: sent once, and the code is no longer kept.
        let (status, body, error) = outbox_row(&app, "13800000001").await.unwrap();
        assert_eq!(status, "sent", "{backend:?}");
        assert_eq!(body, domain::outbox::REDACTED);
        assert_eq!(error, None);
        // Failed: waiting for another try, with the reason and no code in it.
        let (status, _, error) = outbox_row(&app, "13800000002").await.unwrap();
        assert_eq!(status, "pending", "{backend:?}");
        assert_eq!(error.as_deref(), Some("gateway answered HTTP 500"));
        // Nothing went to the development log instead.
        assert!(
            !app.outbox_log().contains("\"channel\":\"sms\""),
            "{backend:?}"
        );
        // And nobody got the first one twice.
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let again = gateway.received.lock().unwrap().len();
        assert_eq!(again, 2, "{backend:?}: retried too soon or sent twice");
        app.stop().await;
        stand_in.abort();
    }
}

#[tokio::test]
async fn a_gateway_that_is_not_https_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = hongcha_server::Config {
        database_url: format!("sqlite://{}", dir.path().join("h.db").display()),
        bind: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        sms_gateway_url: Some("http://sms.example.com/send".into()),
        ..hongcha_server::Config::default()
    };
    let err = hongcha_server::Application::build(cfg)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("sms_gateway_url"), "{err}");
}
