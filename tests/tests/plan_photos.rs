//! Photos of a task's progress over real HTTP: staff (or the task's
//! assignee) upload one with a note; it joins the plan's public timeline
//! without EXIF, in three sizes; others, other origins and files that are
//! no photo are refused; a plain HTML form gets a redirect back.
use blackbox::{backends, jpeg_with_exif, spawn_app};
use reqwest::{StatusCode, multipart};

#[tokio::test]
async fn staff_add_a_progress_photo_that_everyone_sees_without_its_metadata() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.seed_demo().await;
        domain::seed::seed_demo_street(&app.services).await.unwrap();
        domain::seed::seed_demo_loop(&app.services).await.unwrap();
        let plan = domain::plans::list(&app.services, None).await.unwrap()[0].id;
        let task = domain::plans::view(&app.services, None, plan)
            .await
            .unwrap()
            .tasks[0]
            .id;
        let staff = app.logged_in("13800000002").await;
        let resident = app.logged_in("13800000001").await;
        let url = app.url(&format!("/plans/tasks/{task}/photos"));
        let form = |bytes: Vec<u8>, note: &str| {
            multipart::Form::new()
                .part("photo", multipart::Part::bytes(bytes).file_name("site.jpg"))
                .text("note", note.to_owned())
        };
        let send = |c: &reqwest::Client, f: multipart::Form, origin: &str, json: bool| {
            let mut req = c.post(url.clone()).header("Origin", origin).multipart(f);
            if json {
                req = req.header("Accept", "application/json");
            }
            req.send()
        };

        // A resident who is not its assignee may not; nor another origin.
        let res = send(&resident, form(jpeg_with_exif(), ""), &app.addr, true)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        let res = send(
            &staff,
            form(jpeg_with_exif(), ""),
            "http://evil.example",
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        // A file that is no photo, whatever its name.
        let res = send(
            &staff,
            form(b"<svg onload=alert(1)>".to_vec(), ""),
            &app.addr,
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["error"], "err.photo.invalid_type");
        // No file at all.
        let res = send(
            &staff,
            multipart::Form::new().text("note", "只有说明"),
            &app.addr,
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // Staff upload one; the note is masked like all public text.
        let res = send(
            &staff,
            form(jpeg_with_exif(), "南门路灯已装好，联系13912345678"),
            &app.addr,
            true,
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let line = res.json::<serde_json::Value>().await.unwrap()["update"]
            .as_i64()
            .unwrap();
        let view = domain::plans::view(&app.services, None, plan)
            .await
            .unwrap();
        let shown = view
            .timeline
            .iter()
            .find(|u| u.id == line)
            .expect("on the timeline");
        assert!(shown.photo && shown.kind == "photo" && shown.task_id == Some(task));
        assert!(shown.body.starts_with("南门路灯已装好") && !shown.body.contains("13912345678"));
        // Anyone sees it (plans are public), without the camera's metadata.
        let anon = app.client();
        let full = anon
            .get(app.url(&format!("/media/task-photos/{line}")))
            .send()
            .await
            .unwrap();
        assert_eq!(full.status(), StatusCode::OK);
        assert_eq!(full.headers()["content-type"], "image/jpeg");
        let full = full.bytes().await.unwrap();
        assert!(!full.windows(3).any(|w| w == b"GPS"));
        assert!(!full.windows(6).any(|w| w == b"HIDDEN"));
        let thumb = anon
            .get(app.url(&format!("/media/task-photos/{line}?size=thumb")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(thumb.len() < full.len());
        // A timeline line that is no photo, and one that does not exist.
        let other = view.timeline.iter().find(|u| !u.photo).unwrap().id;
        for id in [other, 999_999] {
            let res = anon
                .get(app.url(&format!("/media/task-photos/{id}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{id}");
        }
        // A plain HTML form is sent back to the plan with the outcome.
        let res = send(&staff, form(jpeg_with_exif(), ""), &app.addr, false)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()["location"],
            format!("/plans/{plan}?upload=ok").as_str()
        );
        let res = send(&staff, form(b"GIF89a".to_vec(), ""), &app.addr, false)
            .await
            .unwrap();
        assert_eq!(
            res.headers()["location"],
            format!("/plans/{plan}?upload_error=err.photo.invalid_type").as_str()
        );
        // Every stored photo's three files are on disk; nothing half-stored.
        let photos = std::fs::read_dir(app.data_dir.path().join("photos"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("task{task}-"))
            })
            .count();
        assert_eq!(photos, 2 * 3, "{backend:?}");
        app.stop().await;
    }
}
