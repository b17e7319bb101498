//! The outcome report over real HTTP: the page's data and the files, for
//! whoever may see them, with bad input refused plainly.
use blackbox::{Backend, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn the_street_report_downloads_as_xlsx_and_csv_for_those_who_may_see_it() {
    let app = spawn_app(Backend::Sqlite).await;
    app.seed_demo().await;
    let communities = domain::org::communities(&app.services).await.unwrap();
    let (a, b) = (communities[0].id, communities[1].id);
    let me = "13800000001";
    // A published opinion this month, so the report has something in it.
    let resident = app.logged_in(me).await;
    let staff = app.logged_in("13800000002").await;
    let officer = app.logged_in("13800000003").await;
    let id = app
        .submit(
            &resident,
            &a.to_string(),
            "三幢楼道灯坏了很多天",
            "report-1",
        )
        .await;
    app.publish(&staff, id).await;
    let url = |q: &str| app.url(&format!("/reports/export?{q}"));

    // The street officer: the whole street as a workbook and as CSV.
    let res = officer.get(url("format=xlsx")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"hongcha-report-street-")
    );
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip container");
    let res = officer.get(url("format=csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.bytes().await.unwrap();
    assert!(text.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(text[3..].to_vec()).unwrap();
    let received = text
        .lines()
        .find(|l| l.starts_with("收到意见,"))
        .expect("the opinions row");
    assert!(
        received
            .trim_end()
            .rsplit(',')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            >= 1,
        "{received}"
    );
    assert!(!text.contains("13800000001"), "no phone number in a report");

    // Community staff: their own community only.
    let res = staff
        .get(url(&format!("format=csv&community={a}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = staff
        .get(url(&format!("format=csv&community={b}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Without a community chosen, staff get their own, as on the page.
    let res = staff.get(url("format=csv")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with(&format!("attachment; filename=\"hongcha-report-{a}-")),
        "{:?}",
        res.headers()["content-disposition"]
    );
    // Residents and strangers get no report.
    assert_eq!(
        resident
            .get(url("format=csv"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.client()
            .get(url("format=csv"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Bad input: a clear refusal, never a server error.
    for q in [
        "format=pdf",
        "format=csv&community=abc",
        "format=csv&from=2025-13&to=2025-12",
        "format=csv&from=2025-05&to=2025-01",
        "format=csv&from=2000-01&to=2099-12",
        "format=csv&community=99999999",
    ] {
        let status = officer.get(url(q)).send().await.unwrap().status();
        assert!(status.is_client_error(), "{q}: {status}");
    }

    // The page's data: the same figures, by the server function.
    let json = app
        .get_json(&officer, &format!("/api/report?community={a}"))
        .await;
    assert!(json["figures"]["opinions"].as_i64().unwrap() >= 1, "{json}");
    assert_eq!(json["community_id"], a);
    assert_eq!(json["street_wide"], true);
    // Staff without a community chosen: their own.
    let json = app.get_json(&staff, "/api/report").await;
    assert_eq!(json["community_id"], a);
    assert_eq!(json["street_wide"], false);

    // The records behind a figure: the opinion just published, masked as
    // the public sees it, for those who may see the report only.
    let records = |q: &str| app.url(&format!("/api/report_records?{q}"));
    let stranger = app.client();
    let json = app
        .get_json(
            &officer,
            "/api/report_records?figure=opinions&by=channel:web",
        )
        .await;
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(item["state"], "published");
    assert_eq!(item["link"], format!("/opinions/{id}"));
    let json = app
        .get_json(
            &staff,
            "/api/report_records?figure=opinions&by=outcome:published",
        )
        .await;
    assert_eq!(json["community_id"], a, "staff: their own community");
    for (who, q, want) in [
        (
            &staff,
            format!("figure=opinions&community={b}"),
            StatusCode::FORBIDDEN,
        ),
        (
            &resident,
            "figure=opinions".to_owned(),
            StatusCode::FORBIDDEN,
        ),
        (
            &stranger,
            "figure=opinions".to_owned(),
            StatusCode::UNAUTHORIZED,
        ),
        (
            &officer,
            "figure=everything".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &officer,
            "figure=opinions&by=channel:a%27%20OR%201%3D1".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &officer,
            "figure=meetings&by=outcome:published".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &officer,
            "figure=opinions&from=2025-13&to=2025-12".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let res = who.get(records(&q)).send().await.unwrap();
        assert_eq!(res.status(), want, "{q}");
    }
    app.stop().await;
}
