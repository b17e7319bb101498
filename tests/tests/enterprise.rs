//! 企服通 over real HTTP (SQLite and PostgreSQL): the street office uploads
//! a register file, previews it (bad rows named, nothing stored) and
//! imports it; a building manager sees and records their buildings' lease
//! warnings only; an enterprise account sees its policies with reasons and
//! files a request that the street accepts and answers and it rates; the
//! dashboard exports as XLSX for the street only.
use blackbox::{DEMO_PASSWORD, backends, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

fn form(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    )
}

fn code(n: u32) -> String {
    let first = format!("9133010{:09}B", 200_000_000 + n * 7919);
    let first: String = first.chars().take(17).collect();
    let c = domain::enterprise::credit::check_character(&first).unwrap();
    format!("{first}{c}")
}

#[tokio::test]
async fn the_register_leases_requests_and_dashboard_over_http() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        domain::enterprise::demo::seed(&app.services, Some(DEMO_PASSWORD))
            .await
            .unwrap();
        let officer = app.logged_in("13800000003").await;
        let resident = app.logged_in("13800000001").await;
        let upload = |c: &reqwest::Client, name: &str, bytes: Vec<u8>| {
            c.post(app.url("/enterprise/register/upload"))
                .header("Origin", &app.addr)
                .header("Accept", "application/json")
                .multipart(form(name, bytes))
                .send()
        };
        // A resident may not upload the register.
        let res = upload(&resident, "r.csv", b"a,b\n1,2\n".to_vec())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A file with bad rows: the preview names them, nothing is stored.
        let bad = format!(
            "统一社会信用代码,企业名称,楼宇编号,租期结束\n{},新企业甲,GD-01,2027-06-30\n{},,GD-01,\n{},新企业丙,GD-77,2027-13-01\n",
            code(1),
            code(2),
            code(3)
        );
        let res = upload(&officer, "bad.csv", bad.into_bytes()).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let token = res.json::<Value>().await.unwrap()["file"]
            .as_str()
            .unwrap()
            .to_owned();
        let preview = app
            .get_json(&officer, &format!("/api/ent_import?file={token}"))
            .await;
        let rows: Vec<i64> = preview["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[0].as_i64().unwrap())
            .collect();
        assert_eq!(rows, [3, 4, 4], "{preview}");
        // The file cannot be imported as it is: refused, nothing queued.
        let res = app
            .call(&officer, "ent_import_start", &[("file", &token)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let none = app
            .get_json(&officer, &format!("/api/ent_import_progress?file={token}"))
            .await;
        assert!(none.is_null(), "{none}");
        // A good one with a code that fails its check: imported, flagged.
        let mut wrong = code(4);
        let last = wrong.pop().unwrap();
        wrong.push(if last == '1' { '2' } else { '1' });
        let good = format!(
            "统一社会信用代码,企业名称,楼宇编号,租期结束,行业代码\n{},新企业甲,GD-01,2027-06-30,I6513\n{wrong},错码企业,GD-02,,\n",
            code(1)
        );
        let res = upload(&officer, "good.xlsx.csv", good.into_bytes())
            .await
            .unwrap();
        let token = res.json::<Value>().await.unwrap()["file"]
            .as_str()
            .unwrap()
            .to_owned();
        // Another account cannot use the uploader's file.
        let staff = app.logged_in("13800000002").await;
        for path in [
            format!("/api/ent_import?file={token}"),
            format!("/api/ent_import_progress?file={token}"),
        ] {
            let res = staff.get(app.url(&path)).send().await.unwrap();
            assert!(
                matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                "{path}: {}",
                res.status()
            );
        }
        let res = app
            .call(&staff, "ent_import_start", &[("file", &token)])
            .await;
        assert!(matches!(
            res.status(),
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
        // The preview lists the flagged code; the import runs on the job
        // runner and reports its progress and counts.
        let preview = app
            .get_json(&officer, &format!("/api/ent_import?file={token}"))
            .await;
        assert_eq!(preview["flagged"][0][1], wrong.as_str(), "{preview}");
        let res = app
            .call(&officer, "ent_import_start", &[("file", &token)])
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let mut r = Value::Null;
        for _ in 0..400 {
            r = app
                .get_json(&officer, &format!("/api/ent_import_progress?file={token}"))
                .await;
            if r["finished"] == true {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(r["finished"], true, "{r}");
        assert!(r["error"].is_null(), "{r}");
        assert_eq!(
            (
                r["created"].as_i64(),
                r["flagged"].as_i64(),
                r["done"].as_i64()
            ),
            (Some(2), Some(1), Some(2)),
            "{r}"
        );
        let list = app
            .get_json(&officer, "/api/ent_register?review=flagged")
            .await;
        assert!(
            list["rows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["credit_code"] == wrong.as_str())
        );

        // The building manager: their building's warnings only.
        let manager = app.logged_in("13800000009").await;
        let leases = app.get_json(&manager, "/api/ent_leases").await;
        let leases = leases.as_array().unwrap();
        assert!(!leases.is_empty());
        assert!(
            leases.iter().all(|a| a["building"] == "古荡科创大厦"),
            "{leases:?}"
        );
        let all = app.get_json(&officer, "/api/ent_leases").await;
        let other = all
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["building"] != "古荡科创大厦")
            .unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let res = app
            .call(
                &manager,
                "ent_lease_record",
                &[("id", &other), ("outcome", "renewed")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let mine = leases[0]["id"].as_i64().unwrap().to_string();
        let res = app
            .call(
                &manager,
                "ent_lease_record",
                &[
                    ("id", &mine),
                    ("outcome", "moving_out"),
                    ("note", "年底搬离"),
                ],
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());
        let res = resident
            .get(app.url("/api/ent_leases"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // The enterprise: policies with reasons; a request the street
        // answers and it rates.
        let ent = app.logged_in("13800000010").await;
        let home = app.get_json(&ent, "/api/ent_home").await;
        let policies = home["policies"].as_array().unwrap();
        assert!(
            policies
                .iter()
                .any(|p| p["state"] == "eligible" && !p["reasons"].as_array().unwrap().is_empty())
        );
        assert!(policies.iter().any(|p| p["state"] == "ineligible" && !p["reasons"].as_array().unwrap().is_empty()));
        let res = app
            .call(
                &ent,
                "ent_file_request",
                &[
                    ("kind", "funding"),
                    ("title", "贷款咨询"),
                    ("description", "想了解科技贷的申请条件和额度"),
                ],
            )
            .await;
        let id: i64 = res.json().await.unwrap();
        let res = app
            .call(
                &resident,
                "ent_file_request",
                &[
                    ("kind", "funding"),
                    ("title", "贷款咨询"),
                    ("description", "想了解科技贷的申请条件和额度"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let id_s = id.to_string();
        // A PDF on the request: uploaded by the enterprise, downloaded (never
        // shown in the page) by it and by staff; not found for anyone else;
        // a page pretending to be a PDF and a post from another site refused.
        let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
        let attach = |c: &reqwest::Client, origin: &str, name: &str, bytes: Vec<u8>| {
            c.post(app.url(&format!("/enterprise/requests/{id}/attachments")))
                .header("Origin", origin)
                .header("Accept", "application/json")
                .multipart(form(name, bytes))
                .send()
        };
        let res = attach(&ent, &app.addr, "贷款申请表.pdf", pdf.clone())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let file = res.json::<Value>().await.unwrap()["attachment"]
            .as_i64()
            .unwrap();
        let res = attach(
            &ent,
            &app.addr,
            "x.pdf",
            b"<html><script>alert(1)</script>".to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "err.file.invalid_type"
        );
        let res = attach(&ent, "https://evil.example", "x.pdf", pdf.clone())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = attach(&resident, &app.addr, "x.pdf", pdf.clone())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        // The form takes one file: a crafted post with two is refused
        // whole, in the form's own words, and stores neither.
        let two = form("a.pdf", pdf.clone()).part(
            "file",
            reqwest::multipart::Part::bytes(pdf.clone()).file_name("b.pdf"),
        );
        let res = ent
            .post(app.url(&format!("/enterprise/requests/{id}/attachments")))
            .header("Origin", &app.addr)
            .header("Accept", "application/json")
            .multipart(two)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "err.file.one_at_a_time"
        );
        for who in [&ent, &officer] {
            let res = who
                .get(app.url(&format!("/media/ent-attachments/{file}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let h = res.headers();
            assert_eq!(h["content-type"], "application/pdf");
            let disposition = h["content-disposition"].to_str().unwrap().to_owned();
            assert!(disposition.starts_with("attachment;"), "{disposition}");
            assert!(
                disposition.contains("filename*=UTF-8''%E8%B4%B7"),
                "{disposition}"
            );
            assert!(
                h["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("sandbox")
            );
            assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
        }
        let res = resident
            .get(app.url(&format!("/media/ent-attachments/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let home = app.get_json(&ent, "/api/ent_home").await;
        let listed = home["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["attachments"]
            .clone();
        // Only the one good file: nothing refused was kept.
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed[0][0], file);
        assert_eq!(listed[0][1], "pdf");
        // A plain form (no JavaScript) comes back to the page with the outcome.
        let res = ent
            .post(app.url(&format!("/enterprise/requests/{id}/attachments?from=home")))
            .header("Origin", &app.addr)
            .multipart(form("x.exe", b"MZ\x90".to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            to,
            format!("/enterprise?for={id}&upload_error=err.file.invalid_type#ent-request-{id}")
        );
        assert!(
            app.call(&officer, "ent_accept", &[("id", &id_s)])
                .await
                .status()
                .is_success()
        );
        assert!(
            app.call(
                &officer,
                "ent_answer",
                &[
                    ("id", &id_s),
                    ("answer", "已请杭州银行古荡支行客户经理联系您")
                ]
            )
            .await
            .status()
            .is_success()
        );
        let res = app
            .call(&resident, "ent_rate", &[("id", &id_s), ("rating", "1")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(
            app.call(&ent, "ent_rate", &[("id", &id_s), ("rating", "4")])
                .await
                .status()
                .is_success()
        );
        let home = app.get_json(&ent, "/api/ent_home").await;
        let req = home["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(
            (req["state"].as_str(), req["rating"].as_i64()),
            (Some("closed"), Some(4))
        );
        // Another enterprise's file: not found.
        let res = ent
            .get(app.url("/api/ent_file?id=999999"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // The dashboard: XLSX for the street, nobody else.
        let res = officer
            .get(app.url("/enterprise/dashboard/export?from=2026-01&to=2026-12"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.bytes().await.unwrap().starts_with(b"PK"));
        let res = resident
            .get(app.url("/enterprise/dashboard/export"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let dash = app
            .get_json(&officer, "/api/ent_dashboard?from=2026-01&to=2026-12")
            .await;
        assert!(dash["enterprises"].as_i64().unwrap() >= 62, "{dash}");
        assert_eq!(dash["from"], "2026-01-01");
        assert_eq!(dash["to"], "2026-12-31");
        // A period that is not one: refused, by the page and the download.
        for bad in [
            "from=2026-13&to=2026-12",
            "from=2026-06&to=2026-01",
            "from=2001-01&to=2026-12",
        ] {
            let res = officer
                .get(app.url(&format!("/enterprise/dashboard/export?{bad}")))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{bad}: {}", res.status());
            let res = officer
                .get(app.url(&format!("/api/ent_dashboard?{bad}")))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_client_error(), "{bad}: {}", res.status());
        }
        app.stop().await;
    }
}
