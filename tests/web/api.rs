//! The JSON API (`/api`): personal tokens, each endpoint's answers and errors, the CSRF
//! header rule for session callers, keyset paging, and that no hash ever leaves.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::on_both_backends;

const USER_FIELDS: [&str; 8] = [
    "active",
    "created_at",
    "email",
    "id",
    "last_login_at",
    "name",
    "role",
    "two_factor",
];

#[track_caller]
fn assert_user_view(user: &serde_json::Value) {
    let mut keys: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, USER_FIELDS, "{user}");
}

/// A user object as `GET /api/users/{id}` shows it: with how many passkeys it has.
fn with_passkeys(user: &serde_json::Value, passkeys: i64) -> serde_json::Value {
    let mut user = user.clone();
    user["passkeys"] = passkeys.into();
    user
}

#[track_caller]
fn assert_no_secret(text: &str) {
    assert!(!text.contains("$2"), "a bcrypt hash leaked: {text}");
    assert!(!text.to_lowercase().contains("hash"), "{text}");
    assert!(!text.contains("password"), "{text}");
}

on_both_backends! {
    async fn me_answers_with_the_token_owners_account_and_never_a_hash(app: TestApp) {
        let (_, ada) = app.user_api("Ada", "ada@example.com").await;
        let me = ada.get("/api/me").await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text);
        assert_user_view(&me.json);
        assert_eq!(me.json["email"], "ada@example.com");
        assert_eq!(me.json["role"], "user");
        assert_eq!(me.json["active"], true);
        assert!(me.json["created_at"].as_str().unwrap().ends_with('Z'));
        assert_no_secret(&me.text);
        for reply in [&me, &ada.get("/api/users/999999").await] {
            assert_eq!(reply.headers["content-disposition"], r#"attachment; filename="api.json""#, "never rendered as a page");
        }
        let (_, admin) = app.admin_api().await;
        let list = admin.get("/api/users").await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.json["users"].as_array().unwrap().len(), 2);
        list.json["users"].as_array().unwrap().iter().for_each(assert_user_view);
        assert_no_secret(&list.text);
        let one = admin.get(&format!("/api/users/{}", me.json["id"])).await;
        assert_eq!(one.json, with_passkeys(&me.json, 0), "one user reads as listed, with its passkey count");
        assert_no_secret(&one.text);
    }

    async fn a_token_is_shown_once_stored_hashed_and_listed_with_its_last_use(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::api_tokens;
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let token = ada.create_api_token("backup script", "30").await;
        let (_, again) = ada.get_text("/profile/tokens").await;
        assert!(!again.contains(&token), "shown only once");
        assert!(again.contains("backup script"));
        assert!(again.contains("<td>never</td>"), "not used yet: {again}");
        let stored: Vec<(String, Option<i64>)> = app
            .query(|c| api_tokens::table.select((api_tokens::token_hash, api_tokens::expires_at)).load(c))
            .await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].0, gatehouse::crypto::token_hash(&token));
        assert!(stored[0].1.is_some());
        let api = ApiClient::new(&app.address, Some(&token));
        assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
        let (_, used) = ada.get_text("/profile/tokens").await;
        assert!(!used.contains("<td>never</td>"), "the last use is listed: {used}");
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "api_token_create"));
        let bad_form = ada.submit("/profile/tokens", &[("name", " "), ("expires_days", "0")]).await;
        assert_eq!(bad_form.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad_form.text().await.unwrap();
        assert!(html.contains("Give the token a name"));
        assert!(html.contains("Enter a whole number of days"));
    }

    async fn a_revoked_token_is_refused_with_401_and_www_authenticate(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::api_tokens;
        let (ada, api) = app.user_api("Ada", "ada@example.com").await;
        let id: i64 = app.query(|c| api_tokens::table.select(api_tokens::id).first(c)).await;
        let eve = app.signed_up_browser("Eve", "eve@example.com").await;
        let not_hers = eve.submit(&format!("/profile/tokens/{id}/revoke"), &[]).await;
        assert_eq!(not_hers.status(), StatusCode::NOT_FOUND);
        assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
        let revoked = ada.submit(&format!("/profile/tokens/{id}/revoke"), &[]).await;
        assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
        let refused = api.get("/api/me").await;
        refused.assert_error(StatusCode::UNAUTHORIZED);
        assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "api_token_revoke"));
        for bad in ["gh_0000", "not-a-token", ""] {
            let forged = ApiClient::new(&app.address, Some(bad)).get("/api/me").await;
            forged.assert_error(StatusCode::UNAUTHORIZED);
            assert_eq!(forged.header("www-authenticate"), Some("Bearer"));
        }
    }

    async fn a_token_stops_working_when_it_expires(app: TestApp) {
        let ada = app.signed_up_browser("Ada", "ada@example.com").await;
        let token = ada.create_api_token("short-lived", "1").await;
        let api = ApiClient::new(&app.address, Some(&token));
        app.clock.advance(23 * 3600);
        assert_eq!(api.get("/api/me").await.status, StatusCode::OK);
        app.clock.advance(3600);
        api.get("/api/me").await.assert_error(StatusCode::UNAUTHORIZED);
        ada.login("ada@example.com", PASSWORD).await;
        let (_, page) = ada.get_text("/profile/tokens").await;
        assert!(page.contains("expired 20"), "the list says so: {page}");
    }

    async fn a_token_acts_with_its_owners_current_role(app: TestApp) {
        use diesel::prelude::*;
        use gatehouse::db::schema::users;
        app.admin_browser().await;
        let (_, ada) = app.user_api("Ada", "ada@example.com").await;
        ada.get("/api/users").await.assert_error(StatusCode::FORBIDDEN);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "admin_denied" && r.3.as_deref() == Some("/api/users")));
        let set_role = |role: &'static str| move |c: &mut gatehouse::db::DbConnection| {
            diesel::update(users::table.filter(users::email.eq("ada@example.com"))).set(users::role.eq(role)).execute(c)
        };
        app.query(set_role("admin")).await;
        assert_eq!(ada.get("/api/users").await.status, StatusCode::OK);
        app.query(set_role("user")).await;
        ada.get("/api/users").await.assert_error(StatusCode::FORBIDDEN);
        app.set_active("ada@example.com", false).await;
        ada.get("/api/me").await.assert_error(StatusCode::UNAUTHORIZED);
    }

    async fn reading_another_users_id_is_refused(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        let (_, ada) = app.user_api("Ada", "ada@example.com").await;
        app.signed_up_browser("Bob", "bob@example.com").await;
        let (ada_id, bob_id) = (app.user_id("ada@example.com").await, app.user_id("bob@example.com").await);
        assert_eq!(ada.get(&format!("/api/users/{ada_id}")).await.status, StatusCode::OK);
        ada.get(&format!("/api/users/{bob_id}")).await.assert_error(StatusCode::FORBIDDEN);
        ada.get("/api/users/999999").await.assert_error(StatusCode::FORBIDDEN);
        let bob = admin.get(&format!("/api/users/{bob_id}")).await;
        assert_eq!(bob.status, StatusCode::OK);
        assert_eq!(bob.json["email"], "bob@example.com");
        let missing = admin.get("/api/users/999999").await;
        missing.assert_error(StatusCode::NOT_FOUND);
        assert_eq!(missing.json, json!({"error": "User not found"}));
        admin.get("/api/users/not-a-number").await.assert_error(StatusCode::NOT_FOUND);
    }

    async fn admins_create_users_with_201_and_a_location(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        let created = admin
            .post("/api/users", json!({"name": "Ada", "email": "Ada@Example.com", "password": PASSWORD, "role": "admin"}))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_user_view(&created.json);
        assert_no_secret(&created.text);
        let location = created.header("location").unwrap().to_string();
        assert_eq!(location, format!("/api/users/{}", created.json["id"]));
        assert_eq!(admin.get(&location).await.json, with_passkeys(&created.json, 0));
        assert_eq!(created.json["role"], "admin");
        let ada = app.browser();
        assert_eq!(ada.login("ada@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let minimal = admin.post("/api/users", json!({"name": "Bob", "email": "bob@example.com"})).await;
        assert_eq!(minimal.status, StatusCode::CREATED);
        assert_eq!((minimal.json["role"].as_str(), minimal.json["active"].as_bool()), (Some("user"), Some(true)));
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "admin_create_user" && r.2.as_deref() == Some("bob@example.com")));
        let taken = admin.post("/api/users", json!({"name": "Ada 2", "email": "ada@example.com"})).await;
        taken.assert_error(StatusCode::CONFLICT);
        let invalid = admin.post("/api/users", json!({"name": "", "email": "nope", "role": "root", "password": "short"})).await;
        invalid.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["name", "email", "role", "password"] {
            assert!(invalid.json["fields"][field].is_string(), "{field}: {}", invalid.text);
        }
        admin.post("/api/users", json!({"email": "x@example.com"})).await.assert_error(StatusCode::BAD_REQUEST);
        admin.post("/api/users", json!({"name": "X", "email": "x@example.com", "admin": true})).await.assert_error(StatusCode::BAD_REQUEST);
        admin.post("/api/users", json!({"name": 5, "email": "x@example.com"})).await.assert_error(StatusCode::BAD_REQUEST);
        let malformed = admin.request(Method::POST, "/api/users").header("content-type", "application/json").body("{\"name\":").send().await.unwrap();
        ApiResponse::read(malformed).await.assert_error(StatusCode::BAD_REQUEST);
        let form = admin.request(Method::POST, "/api/users").form(&[("name", "X"), ("email", "x@example.com")]).send().await.unwrap();
        ApiResponse::read(form).await.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = json!({"name": "x".repeat(70_000), "email": "x@example.com"});
        admin.post("/api/users", huge).await.assert_error(StatusCode::PAYLOAD_TOO_LARGE);
        let (_, member) = app.user_api("Eve", "eve@example.com").await;
        member.post("/api/users", json!({"name": "X", "email": "x@example.com"})).await.assert_error(StatusCode::FORBIDDEN);
        ApiClient::new(&app.address, None).post("/api/users", json!({"name": "X", "email": "x@example.com"})).await.assert_error(StatusCode::UNAUTHORIZED);
    }

    async fn admins_change_users_and_a_disable_ends_their_sessions(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        let ada_browser = app.signed_up_browser("Ada", "ada@example.com").await;
        let ada = app.user_id("ada@example.com").await;
        let path = format!("/api/users/{ada}");
        let renamed = admin.patch(&path, json!({"name": "Ada King"})).await;
        assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
        assert_eq!((renamed.json["name"].as_str(), renamed.json["email"].as_str()), (Some("Ada King"), Some("ada@example.com")));
        assert_no_secret(&renamed.text);
        assert_eq!(ada_browser.get("/profile").await.status(), StatusCode::OK, "a rename keeps the session");
        let disabled = admin.patch(&path, json!({"active": false})).await;
        assert_eq!(disabled.json["active"], false);
        assert_eq!(ada_browser.get("/profile").await.status(), StatusCode::SEE_OTHER, "the session ended");
        let rows = app.audit_rows().await;
        assert!(rows.iter().any(|r| r.0 == "admin_update_user" && r.3.as_deref().is_some_and(|d| d.contains("active: true → false"))), "{rows:?}");
        admin.patch(&path, json!({"role": "root"})).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        let short = admin.patch(&path, json!({"password": ""})).await;
        short.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(short.json["fields"]["password"].is_string());
        admin.post("/api/users", json!({"name": "Bob", "email": "bob@example.com"})).await;
        admin.patch(&path, json!({"email": "bob@example.com"})).await.assert_error(StatusCode::CONFLICT);
        admin.patch("/api/users/999999", json!({"name": "X"})).await.assert_error(StatusCode::NOT_FOUND);
        admin.patch(&path, json!({"nickname": "X"})).await.assert_error(StatusCode::BAD_REQUEST);
        let root = app.user_id("root@example.com").await;
        let demote_self = admin.patch(&format!("/api/users/{root}"), json!({"role": "user"})).await;
        demote_self.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(demote_self.json["fields"]["role"].is_string());
        admin.patch(&format!("/api/users/{root}"), json!({"active": false})).await.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn admins_delete_users_with_204_but_never_themselves(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        app.signed_up_browser("Ada", "ada@example.com").await;
        let (_, eve) = app.user_api("Eve", "eve@example.com").await;
        let path = format!("/api/users/{}", app.user_id("ada@example.com").await);
        eve.delete(&path).await.assert_error(StatusCode::FORBIDDEN);
        let deleted = admin.delete(&path).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert!(deleted.text.is_empty());
        admin.get(&path).await.assert_error(StatusCode::NOT_FOUND);
        admin.delete(&path).await.assert_error(StatusCode::NOT_FOUND);
        assert!(app.audit_rows().await.iter().any(|r| r.0 == "admin_delete_user" && r.2.as_deref() == Some("ada@example.com")));
        let root = app.user_id("root@example.com").await;
        let own = admin.delete(&format!("/api/users/{root}")).await;
        own.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(own.json["fields"]["id"].is_string(), "{}", own.text);
    }

    async fn the_user_list_pages_by_cursor_and_stays_stable_over_inserts(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        app.seed_users(120).await;
        let mut seen: Vec<i64> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/users?limit=50&cursor={c}"),
                None => "/api/users?limit=50".to_string(),
            };
            let page = admin.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            seen.extend(page.json["users"].as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()));
            pages += 1;
            if pages == 1 {
                for i in 0..3 {
                    let email = format!("late{i}@example.com");
                    let made = admin.post("/api/users", json!({"name": "Late", "email": email})).await;
                    assert_eq!(made.status, StatusCode::CREATED);
                }
            }
            match page.json["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen.len(), 124, "1 admin + 120 seeded + 3 added while paging");
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, seen, "in id order, no repeats");
        let search = admin.get("/api/users?q=GIVEN11&limit=200").await;
        let emails: Vec<&str> = search.json["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
        assert_eq!(emails.len(), 11, "{emails:?}");
        assert_eq!(search.json["next_cursor"], serde_json::Value::Null);
        assert_eq!(admin.get("/api/users").await.json["users"].as_array().unwrap().len(), 50, "50 by default");
        for bad in ["limit=0", "limit=201"] {
            let refused = admin.get(&format!("/api/users?{bad}")).await;
            refused.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(refused.json["fields"]["limit"].is_string());
        }
        admin.get("/api/users?q=%00").await.assert_error(StatusCode::UNPROCESSABLE_ENTITY);
        for bad in ["limit=abc", "cursor=zz", "cursor=3132"] {
            admin.get(&format!("/api/users?{bad}")).await.assert_error(StatusCode::BAD_REQUEST);
        }
    }

    async fn session_callers_need_the_csrf_header_for_unsafe_methods(app: TestApp) {
        let browser = app.admin_browser().await;
        let me = browser.api(Method::GET, "/api/me", None, &[]).await;
        assert_eq!(me.status, StatusCode::OK, "reads need no header");
        let body = json!({"name": "Ada", "email": "ada@example.com"});
        let refused = browser.api(Method::POST, "/api/users", Some(body.clone()), &[]).await;
        refused.assert_error(StatusCode::FORBIDDEN);
        assert!(refused.json["error"].as_str().unwrap().contains("X-CSRF-Token"));
        let wrong = browser.api(Method::POST, "/api/users", Some(body.clone()), &[("X-CSRF-Token", "0000")]).await;
        wrong.assert_error(StatusCode::FORBIDDEN);
        assert_eq!(app.count_users().await, 1);
        let token = browser.csrf_token().await;
        let created = browser.api(Method::POST, "/api/users", Some(body), &[("X-CSRF-Token", &token)]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let token = browser.create_api_token("script", "").await;
        let bearer = ApiClient::new(&app.address, Some(&token));
        let by_token = bearer.post("/api/users", json!({"name": "Bob", "email": "bob@example.com"})).await;
        assert_eq!(by_token.status, StatusCode::CREATED, "a token needs no CSRF header");
        let anonymous = app.browser().api(Method::POST, "/api/users", Some(json!({})), &[]).await;
        anonymous.assert_error(StatusCode::UNAUTHORIZED);
    }

    async fn api_errors_are_always_json(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        admin.get("/api/nothing-here").await.assert_error(StatusCode::NOT_FOUND);
        admin.send(Method::PUT, "/api/me", None).await.assert_error(StatusCode::METHOD_NOT_ALLOWED);
        admin.send(Method::DELETE, "/api/users", None).await.assert_error(StatusCode::METHOD_NOT_ALLOWED);
        let basic = ApiClient::new(&app.address, None).request(Method::GET, "/api/me").basic_auth("root", Some("x")).send().await.unwrap();
        let basic = ApiResponse::read(basic).await;
        basic.assert_error(StatusCode::UNAUTHORIZED);
        assert!(!basic.text.contains("<html"));
    }

    async fn every_endpoint_refuses_anonymous_callers_and_the_admin_ones_refuse_members(app: TestApp) {
        let admin_browser = app.admin_browser().await;
        let (_, member) = app.user_api("Ada", "ada@example.com").await;
        let anonymous = ApiClient::new(&app.address, None);
        let body = || Some(json!({"name": "X"}));
        let calls = [
            (Method::GET, "/api/me", None, false),
            (Method::GET, "/api/users", None, true),
            (Method::POST, "/api/users", body(), true),
            (Method::GET, "/api/users/1", None, true),
            (Method::PATCH, "/api/users/1", body(), true),
            (Method::DELETE, "/api/users/1", None, true),
        ];
        for (method, path, body, admin_only) in calls {
            let refused = anonymous.send(method.clone(), path, body.clone()).await;
            refused.assert_error(StatusCode::UNAUTHORIZED);
            assert_eq!(refused.header("www-authenticate"), Some("Bearer"), "{method} {path}");
            let answer = member.send(method.clone(), path, body).await;
            if admin_only {
                answer.assert_error(StatusCode::FORBIDDEN);
            } else {
                assert_eq!(answer.status, StatusCode::OK, "{method} {path}");
            }
        }
        let admin = ApiClient::new(&app.address, Some(&admin_browser.create_api_token("admin", "").await));
        let ada = app.user_id("ada@example.com").await;
        let wrong_type = admin.request(Method::PATCH, &format!("/api/users/{ada}")).header("content-type", "text/plain").body("{}").send().await.unwrap();
        ApiResponse::read(wrong_type).await.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = json!({"name": "x".repeat(70_000)});
        admin.patch(&format!("/api/users/{ada}"), huge).await.assert_error(StatusCode::PAYLOAD_TOO_LARGE);
        admin.patch(&format!("/api/users/{ada}"), json!({"name": ["x"]})).await.assert_error(StatusCode::BAD_REQUEST);
    }

    async fn token_use_is_rate_limited_with_429_and_retry_after(app: TestApp) {
        let (_, admin) = app.admin_api().await;
        let (_, other) = app.user_api("Ada", "ada@example.com").await;
        // Bursts of 50 at once, so that even a slow machine outruns the refill (20/s).
        let mut limited = None;
        for _ in 0..20 {
            let burst = futures_util::future::join_all((0..50).map(|_| admin.get("/api/me"))).await;
            assert!(burst.iter().all(|r| r.status == StatusCode::OK || r.status == StatusCode::TOO_MANY_REQUESTS));
            limited = burst.into_iter().find(|r| r.status == StatusCode::TOO_MANY_REQUESTS);
            if limited.is_some() {
                break;
            }
        }
        let limited = limited.expect("the token was limited");
        limited.assert_error(StatusCode::TOO_MANY_REQUESTS);
        assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        assert_eq!(other.get("/api/me").await.status, StatusCode::OK, "each token has its own limit");
    }

    async fn the_openapi_description_lists_every_endpoint_and_its_errors(app: TestApp) {
        let doc = ApiClient::new(&app.address, None).get("/api/openapi.json").await;
        assert_eq!(doc.status, StatusCode::OK);
        assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
        let mut operations = Vec::new();
        for (path, item) in doc.json["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                operations.push(format!("{} {path}", method.to_uppercase()));
                let responses = operation["responses"].as_object().unwrap();
                if path != "/api/openapi.json" {
                    for status in ["401", "429"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
                if operation.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{method} {path} {status}");
                    }
                }
            }
        }
        operations.sort();
        assert_eq!(operations, [
            "DELETE /api/users/{id}", "DELETE /api/users/{id}/passkeys", "DELETE /api/users/{id}/two-factor", "GET /api/me", "GET /api/me/export", "GET /api/openapi.json", "GET /api/users",
            "GET /api/users/{id}", "PATCH /api/users/{id}", "POST /api/users",
        ]);
        assert_eq!(doc.json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        let user = &doc.json["components"]["schemas"]["UserView"]["properties"];
        let mut fields: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, USER_FIELDS);
    }
}
