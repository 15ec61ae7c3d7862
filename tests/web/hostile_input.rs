//! Input an attacker sends on purpose — NUL bytes and other control characters, addresses
//! with a display name, bodies that never arrive — is refused with the normal 4xx answer
//! before the database sees it, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

const NUL: &str = "a\u{0}b";

/// A form post: the path, its fields, and the answer expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode);

on_both_backends! {
    async fn a_nul_byte_in_any_form_field_or_query_is_refused_with_400_or_422(app: TestApp) {
        let visitor = app.browser();
        let email_with_nul = "a\u{0}b@x.io";
        let cases: Vec<Case> = vec![
            ("/login", vec![("email", email_with_nul), ("password", PASSWORD)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/login", vec![("email", "ada@example.com"), ("password", NUL)], StatusCode::UNAUTHORIZED),
            ("/register", vec![("name", NUL), ("email", "al@example.com"), ("password", PASSWORD), ("password_confirm", PASSWORD)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/register", vec![("name", "Al"), ("email", email_with_nul), ("password", PASSWORD), ("password_confirm", PASSWORD)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/register", vec![("name", "Al"), ("email", "al@example.com"), ("password", "pass\u{0}word long"), ("password_confirm", "pass\u{0}word long")], StatusCode::UNPROCESSABLE_ENTITY),
            ("/password-reset", vec![("email", email_with_nul)], StatusCode::UNPROCESSABLE_ENTITY),
        ];
        for (path, fields, expected) in &cases {
            let response = visitor.submit(path, fields).await;
            assert_eq!(response.status(), *expected, "{path} {fields:?}");
        }
        assert_eq!(app.count_users().await, 0);

        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let cases: Vec<Case> = vec![
            ("/profile", vec![("name", NUL), ("email", "ada@example.com")], StatusCode::UNPROCESSABLE_ENTITY),
            ("/profile", vec![("name", "Ada"), ("email", email_with_nul), ("current_password", PASSWORD)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/password", vec![("current_password", PASSWORD), ("new_password", "a new\u{0}passphrase"), ("new_password_confirm", "a new\u{0}passphrase")], StatusCode::UNPROCESSABLE_ENTITY),
            ("/profile/tokens", vec![("name", NUL), ("expires_days", "")], StatusCode::UNPROCESSABLE_ENTITY),
            ("/profile/tokens", vec![("name", "deploy"), ("expires_days", NUL)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/reauth", vec![("password", NUL)], StatusCode::UNPROCESSABLE_ENTITY),
            ("/sessions/a%00b/revoke", vec![], StatusCode::NOT_FOUND),
        ];
        for (path, fields, expected) in &cases {
            let response = ada.submit(path, fields).await;
            assert_eq!(response.status(), *expected, "{path} {fields:?}");
        }

        let admin = app.admin_browser().await;
        for path in ["/admin/users?q=%00", "/admin/users?q=a%01b", "/admin/audit?actor=%00", "/admin/audit?target=a%00b", "/admin/audit?action=%00"] {
            let (status, page) = admin.get_text(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
            assert!(page.contains("control characters") || page.contains("action must be"), "{path}: the page says why");
        }
        let fields = [("name", NUL), ("email", "grace@example.com"), ("password", PASSWORD), ("role", "user"), ("active", "on")];
        assert_eq!(admin.submit("/admin/users/new", &fields).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn a_nul_byte_in_the_api_is_refused_with_422(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        admin.get("/api/users?q=%00").await.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        let created = admin.post("/api/users", json!({"name": NUL, "email": "grace@example.com"})).await;
        created.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(created.json["fields"]["name"].is_string());
        let created = admin.post("/api/users", json!({"name": "Grace", "email": "grace\u{0}@example.com"})).await;
        created.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        let me = admin.get("/api/me").await.json["id"].clone();
        let patched = admin.patch(&format!("/api/users/{me}"), json!({"password": "a new\u{0}passphrase"})).await;
        patched.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(patched.json["fields"]["password"].is_string());
    }

    async fn an_address_with_a_display_name_is_refused_everywhere(app: TestApp) {
        const DISGUISED: &str = "ceo.name<attacker@evil.io>";
        let visitor = app.browser();
        let signed_up = visitor.register("CEO", DISGUISED, PASSWORD).await;
        assert_eq!(signed_up.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(signed_up.text().await.unwrap().contains("Enter an email address like name@example.com."));
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let changed = ada.submit("/profile", &[("name", "Ada"), ("email", DISGUISED), ("current_password", PASSWORD)]).await;
        assert_eq!(changed.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let (_, admin) = app.admin_api().await;
        let created = admin.post("/api/users", json!({"name": "CEO", "email": DISGUISED})).await;
        created.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(created.json["fields"]["email"].is_string());
        let id = app.user_id("ada@example.com").await;
        admin.patch(&format!("/api/users/{id}"), json!({"email": "Ada <ada@evil.io>"})).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(app.mails().iter().all(|m| !m.contains("evil.io")), "no mail went to the hidden address");
    }

    async fn a_body_that_never_arrives_is_answered_408_and_its_connection_closed(app: TestApp) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let impatient = app.with_settings(|s| s.body_timeout = std::time::Duration::from_secs(1)).await;
        let mut connection = tokio::net::TcpStream::connect(impatient.address.trim_start_matches("http://")).await.unwrap();
        let promise = "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nabc";
        connection.write_all(promise.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(std::time::Duration::from_secs(20), connection.read_to_end(&mut answer))
            .await
            .expect("the server answers and closes the connection")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("The request took too long to arrive"), "{answer}");
    }
}
