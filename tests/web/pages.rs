use reqwest::StatusCode;

#[allow(unused_imports)]
use crate::helpers::*;
use crate::on_both_backends;

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let csp = headers
        .get("content-security-policy")
        .expect("CSP")
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(headers.get("x-request-id").is_some());
}

on_both_backends! {
    async fn the_home_page_offers_login_and_sign_up_then_the_profile(app: TestApp) {
        let browser = app.browser();
        let (status, html) = browser.get_text("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(r#"href="/login""#) && html.contains(r#"href="/register""#));
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let (_, html) = browser.get_text("/").await;
        assert!(html.contains(r#"href="/profile""#) && !html.contains("/admin"));
    }

    async fn an_unknown_address_gets_the_404_page(app: TestApp) {
        let response = app.browser().get("/no/such/page").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_security_headers(&response);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = response.text().await.unwrap();
        assert!(html.contains("<h1>Not Found") && html.contains("Skip to main content"));
    }

    async fn every_response_carries_the_security_headers(app: TestApp) {
        let browser = app.browser();
        let ok = browser.get("/login").await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_security_headers(&ok);
        assert_eq!(ok.headers()["cache-control"], "no-store");
        let redirect = browser.get("/profile").await;
        assert_eq!(redirect.status(), StatusCode::SEE_OTHER);
        assert_security_headers(&redirect);
        let forbidden = browser.post_raw("/login", &[]).await;
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_security_headers(&forbidden);
        assert!(ok.headers().get("strict-transport-security").is_none(), "no HSTS on plain http");
    }

    async fn the_stylesheet_has_a_content_hash_and_a_long_cache(app: TestApp) {
        let browser = app.browser();
        let (_, html) = browser.get_text("/").await;
        let href = regex::Regex::new(r#"href="(/static/style\.[0-9a-f]{12}\.css)""#).unwrap().captures(&html).unwrap()[1].to_string();
        let css = browser.get(&href).await;
        assert_eq!(css.status(), StatusCode::OK);
        assert_security_headers(&css);
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(browser.get("/static/style.000000000000.css").await.status(), StatusCode::NOT_FOUND);
    }

    async fn a_one_megabyte_form_is_answered_413(app: TestApp) {
        let browser = app.browser();
        let token = browser.csrf_token().await;
        let huge = "a".repeat(1024 * 1024);
        let response = browser.post_raw("/register", &[("name", &huge), ("csrf_token", &token)]).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(response.text().await.unwrap().contains("too large"));
        assert_eq!(app.count_users().await, 0);
    }

    async fn a_form_of_the_wrong_content_type_is_a_client_error(app: TestApp) {
        let browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let token = browser.csrf_token().await;
        let response = browser.client.post(browser.url("/profile")).header("X-CSRF-Token", token).body("{}").header("content-type", "application/json").send().await.unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
        let html = response.text().await.unwrap();
        assert!(html.contains("<!doctype html>") && !html.to_lowercase().contains("error parsing"));
    }

    async fn healthz_says_ok_when_the_database_answers(app: TestApp) {
        let response = app.browser().get("/healthz").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, serde_json::json!({ "status": "ok" }));
    }
}

on_both_backends! {
    async fn a_server_fault_shows_a_request_id_and_no_internals(app: TestApp) {
        use diesel::RunQueryDsl;
        app.query(|c| diesel::sql_query("DROP TABLE audit_events").execute(c)).await;
        let response = app.browser().login("nobody@example.com", "whatever it is").await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_security_headers(&response);
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_string();
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("<code>{request_id}</code>")), "the page shows the request id");
        let lower = html.to_lowercase();
        for internal in ["audit_events", "sql", "diesel", "relation", "no such table", "panicked"] {
            assert!(!lower.contains(internal), "{internal} leaked: {html}");
        }
    }
}

on_both_backends! {
    async fn secure_cookies_use_host_prefixed_names_and_hsts(app: TestApp) {
        app.signed_up_browser("Ada", "ada@example.com").await;
        let secure = app.with_settings(|s| s.cookie_secure = true).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = client.get(format!("{}/login", secure.address)).send().await.unwrap();
        assert_eq!(page.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
        let csrf_cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(csrf_cookie.starts_with("__Host-gatehouse_csrf="), "{csrf_cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(csrf_cookie.contains(attribute), "{attribute} missing: {csrf_cookie}");
        }
        assert!(!csrf_cookie.contains("Domain"), "__Host- cookies have no Domain");
        let token = csrf_token_in(&page.text().await.unwrap()).unwrap();
        let name_value = csrf_cookie.split(';').next().unwrap().to_string();
        let login = client
            .post(format!("{}/login", secure.address))
            .header("cookie", name_value)
            .form(&[("email", "ada@example.com"), ("password", PASSWORD), ("csrf_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), StatusCode::SEE_OTHER);
        let session_cookie = login.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).find(|c| c.contains("session")).expect("a session cookie");
        assert!(session_cookie.starts_with("__Host-gatehouse_session="), "{session_cookie}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(session_cookie.contains(attribute), "{attribute} missing: {session_cookie}");
        }
        assert!(!login.headers()["location"].to_str().unwrap().contains("session"), "no session id in any URL");
    }

    async fn head_is_answered_wherever_get_is(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let anonymous = app.browser();
        for (browser, path) in [(&anonymous, "/"), (&anonymous, "/healthz"), (&anonymous, "/login"), (&anonymous, "/profile"), (&ada, "/profile"), (&ada, "/sessions"), (&anonymous, "/no/such/page")] {
            let get = browser.get(path).await;
            let head = browser.client.head(browser.url(path)).send().await.unwrap();
            assert_eq!(head.status(), get.status(), "HEAD {path}");
            assert_eq!(head.headers().get("content-type"), get.headers().get("content-type"), "HEAD {path}");
            assert_eq!(head.headers().get("location"), get.headers().get("location"), "HEAD {path}");
            assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} has no body");
        }
        let (_, script) = app.user_api("Grace", "grace@example.com").await;
        let head = script.request(reqwest::Method::HEAD, "/api/me").send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
    }

    async fn api_answers_are_never_cached_and_logout_clears_the_browser(app: TestApp) {
        let (ada, script) = app.user_api("Ada", "ada@example.com").await;
        let anonymous = ApiClient::new(&app.address, None);
        for answer in [script.get("/api/me").await, anonymous.get("/api/me").await, script.get("/api/nothing").await, anonymous.get("/api/openapi.json").await] {
            assert_eq!(answer.header("cache-control"), Some("no-store"), "{}", answer.text);
        }
        let logout = ada.logout().await;
        assert_eq!(logout.status(), StatusCode::SEE_OTHER);
        assert_eq!(logout.headers()["clear-site-data"], r#""cache", "cookies""#);
    }
}
